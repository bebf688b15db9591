#!/usr/bin/env bash
# Installs the Debian packages cnnviz's tests need: Chromium (real-browser tests) and Fashion-MNIST.
# Idempotent: does nothing when both are present. Without root it says what to run instead.
set -euo pipefail
missing=()
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
[[ -d /usr/share/datasets/fashion-mnist ]] || missing+=(dataset-fashion-mnist)
if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi
if [[ $(id -u) -eq 0 ]]; then
    echo "Installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
    echo "Missing Debian packages: ${missing[*]}. Install them with: sudo apt-get install -y ${missing[*]}" >&2
    if [[ "${CI:-}" == "true" ]]; then
        exit 1
    fi
fi
