#!/usr/bin/env bash
# Build the peers' virtual environment for the benchmarks: .bench-venv/ at the repo root.
#   bash benchmarks/setup_peers.sh          # then: .bench-venv/bin/python benchmarks/run.py
# torch is pinned to exactly 2.13.0 (a CPU wheel sits in /opt/wheels on the project machines;
# any other version would download gigabytes of CUDA wheels).
# PyTensor's C backend needs a BLAS to link against: libopenblas-dev from Debian (root only);
# without it PyTensor still runs but its Gemm falls back to numpy calls (noted in the results).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
venv="${BENCH_VENV:-$repo/.bench-venv}"
python="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q -e "$repo"
"$venv/bin/python" -m pip install -q "torch==2.13.0" jax jaxlib pytensor numba autograd matplotlib

if ! ls /usr/lib/x86_64-linux-gnu/libopenblas.so >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq && apt-get install -y -qq libopenblas-dev >/dev/null
    else
        echo "note: libopenblas-dev missing and not root; PyTensor's C Gemm will fall back to numpy" >&2
    fi
fi
"$venv/bin/python" - <<'PY'
import importlib
for name in ("numpy", "jax", "pytensor", "torch", "numba", "autograd", "matplotlib", "tracer"):
    try:
        mod = importlib.import_module(name)
        print(f"{name:12s} {getattr(mod, '__version__', '?')}")
    except Exception as err:  # report, don't fail: a missing peer is skipped by run.py
        print(f"{name:12s} NOT AVAILABLE ({type(err).__name__}: {err})")
PY
