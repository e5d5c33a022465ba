#!/usr/bin/env bash
# Creates or refreshes .venv with the pinned dev requirements and olm-gather installed editable.
# uv (itself cached outside the repo, keyed by its version) keeps every wheel in its cache, so a warm machine
# builds a fresh checkout's venv in seconds; only a cold one downloads.
set -euo pipefail
cd "$(dirname "$0")/.."
UV_VERSION=0.13.9
OMG_VERSION=1.2.6
cache="${OLM_GATHER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/olm-gather}"
uv="$cache/uv-$UV_VERSION/bin/uv"
if [[ ! -x $uv ]]; then
  python3 -m venv "$cache/uv-$UV_VERSION"
  "$cache/uv-$UV_VERSION/bin/pip" install -q "uv==$UV_VERSION"
fi
stamp=".venv/.stamp-$(cat requirements-dev.txt pyproject.toml "$0" | sha256sum | cut -c1-12)"
[[ -f $stamp ]] && exit 0
rm -rf .venv
"$uv" venv -q --python python3 .venv
# --compile-bytecode: site-packages gets its .pyc now, as a user's `pip install` would; without it a shell with
# PYTHONDONTWRITEBYTECODE set (this machine's) recompiles every module on every run, ~0.1 s of olm-gather's start.
VIRTUAL_ENV=$PWD/.venv "$uv" pip install -q --compile-bytecode -r requirements-dev.txt -e .
# omg (the must-gather reader the fidelity tests run) pins click 7, so it gets a venv of its own.
"$uv" venv -q --python python3 .venv/omg
VIRTUAL_ENV=$PWD/.venv/omg "$uv" pip install -q --compile-bytecode "o-must-gather==$OMG_VERSION"
touch "$stamp"
