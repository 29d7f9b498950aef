#!/usr/bin/env bash
# Installs the few system packages the test suite drives for real: Debian's Chromium (e2e, Lighthouse),
# Prometheus (promtool rule tests, a live scrape) and PyTorch + onnx (the training smoke test).
# PyPI and browser downloads are unreachable here, so these come from Debian's apt, nothing else.
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
/usr/bin/python3 -c 'import torch, onnx, numpy, PIL, yaml' >/dev/null 2>&1 ||
  missing+=(python3-torch python3-onnx python3-numpy python3-pil python3-yaml)

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "The tests need these Debian packages: ${missing[*]}" >&2
  echo "Install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
