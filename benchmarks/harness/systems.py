"""The systems compared: tracer, numpy, and the peers when importable (never faked).

Environment that a library reads at import or at thread-pool start (PyTensor's BLAS
flags, thread counts) is set here, before anything imports it.
"""
from __future__ import annotations

import glob
import importlib
import os
import re
from types import ModuleType
from typing import Any

PEERS = ("numpy", "tracer", "pytensor", "jax", "torch", "numba", "autograd")
_loaded: dict[str, tuple[ModuleType | None, str]] = {}


def peer_of(label: str) -> str:
    """The package a system label needs: 'torch.compile' -> torch, 'tracer (trace)' -> tracer."""
    return re.split(r"[ .(:]", label, maxsplit=1)[0]


def configure_env() -> None:
    """Point PyTensor's C backend at OpenBLAS when the system has it (else its Gemm is slow)."""
    flags = os.environ.get("PYTENSOR_FLAGS", "")
    if "blas__ldflags" not in flags and glob.glob("/usr/lib/*/libopenblas.so"):
        os.environ["PYTENSOR_FLAGS"] = ",".join(f for f in (flags, "blas__ldflags=-lopenblas") if f)


def thread_env(n: int) -> dict[str, str]:
    """Variables that fix every library's thread count to n (read at process start)."""
    env = {name: str(n) for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                     "MKL_NUM_THREADS", "TRACER_NUM_THREADS", "NUMBA_NUM_THREADS")}
    xla = os.environ.get("XLA_FLAGS", "")
    if n == 1:
        xla += " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    env["XLA_FLAGS"] = xla.strip()
    return env


def _setup(name: str, mod: ModuleType) -> None:
    if name == "jax":
        mod.config.update("jax_enable_x64", True)
    if name == "tracer" and "TRACER_BACKGROUND_COMPILE" not in os.environ:
        # steady-state figures: a call never runs on the reference executor while the C
        # module builds (the first_result workload sets the variable for its children)
        mod.config.background_compile = False


def load(name: str) -> tuple[ModuleType | None, str]:
    """(module, "") when `name` imports, else (None, reason). Cached."""
    if name not in _loaded:
        try:
            mod = importlib.import_module(name)
            _setup(name, mod)
            _loaded[name] = (mod, "")
        except Exception as err:  # any import failure means "not installed here"
            _loaded[name] = (None, f"{type(err).__name__}: {err}".splitlines()[0][:120])
    return _loaded[name]


def available(label: str) -> bool:
    return load(peer_of(label))[0] is not None


def version(name: str) -> str:
    mod, _ = load(name)
    if mod is None:
        return "absent"
    ver = getattr(mod, "__version__", None)
    if ver is None:
        try:
            from importlib.metadata import version as dist_version
            ver = dist_version(name)
        except Exception:
            ver = "?"
    return str(ver)


def describe_machine() -> dict[str, Any]:
    """CPU model and core count, for the table's header."""
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu": model, "cores": os.cpu_count() or 1}
