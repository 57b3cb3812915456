"""The differential tests again, with the generated C built under AddressSanitizer and
UBSan (any out-of-bounds access or undefined behaviour aborts the subprocess)."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))


def _libasan() -> str | None:
    try:
        path = subprocess.run(["cc", "-print-file-name=libasan.so"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return path if os.path.isabs(path) and os.path.exists(path) else None


def run_under_sanitizers(files: list[str], marks: str, *extra: str, timeout: int) -> None:
    """pytest on `files` in a subprocess whose generated C is built with ASan and UBSan
    (the runtime preloaded); any report aborts it and fails the calling test."""
    libasan = _libasan()
    if libasan is None:
        pytest.skip("the C compiler has no libasan")
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, TRACER_CACHE_DIR=cache, LD_PRELOAD=libasan,
                   ASAN_OPTIONS="detect_leaks=0:abort_on_error=1",
                   UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1",
                   TRACER_CFLAGS_EXTRA="-fsanitize=address,undefined "
                                       "-fno-sanitize-recover=all -fno-omit-frame-pointer")
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                               "-m", marks, *extra, *files],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]


@pytest.mark.slow
def test_differential_suite_under_address_and_ub_sanitizers():
    files = [os.path.join(HERE, f) for f in ("test_elementwise.py", "test_structured.py",
                                              "test_module.py", "test_random_graphs.py")]
    run_under_sanitizers(files, "slow or not slow", timeout=3000)


@pytest.mark.slow
def test_the_c_call_path_under_address_and_ub_sanitizers():
    """pycall.py's helper is built with the same flags, so ASan sees its argument checks,
    output allocation and error paths (its RSS test is left out: ASan keeps freed memory)."""
    files = [os.path.join(HERE, f) for f in ("test_pycall.py", "test_bad_inputs_process.py")]
    run_under_sanitizers(files, "slow or not slow", "-k", "not leaks", timeout=1200)


@pytest.mark.slow
def test_loops_under_address_and_ub_sanitizers():
    """Scan steps index rings, inits and stacked rows by hand: every pointer is checked."""
    files = [os.path.join(ROOT, "tests", "loops")]
    run_under_sanitizers(files, "slow or not slow", "-k", "c]", timeout=1200)
