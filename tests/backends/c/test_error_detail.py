"""Error detail is per call: 8 threads calling one compiled function that raises numpy's
IndexError each get the message naming their own index (issue 12: the entry's error
detail was one buffer per executable, and a thread could report another's index)."""
from __future__ import annotations

import threading

import numpy as np
import pytest

import tracer as tr

from .support import needs_cc

THREADS, ROUNDS = 8, 40


def _messages(f, x: np.ndarray, indices: list[np.ndarray]) -> list[str]:
    """f(x, indices[k]) from thread k, all released at once; each thread's message."""
    barrier = threading.Barrier(len(indices))
    out = [""] * len(indices)

    def run(k: int) -> None:
        barrier.wait()
        for _ in range(ROUNDS):
            try:
                f(x, indices[k])
            except IndexError as err:
                if str(err) != out[k] and out[k]:
                    out[k] = f"changed: {out[k]!r} then {err}"
                    return
                out[k] = str(err)
            else:
                out[k] = "no error"
                return
    threads = [threading.Thread(target=run, args=(k,)) for k in range(len(indices))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def _check_per_thread(f) -> None:
    x = np.arange(4.0)
    bad = [100 + k if k % 2 else -100 - k for k in range(THREADS)]
    f(x, np.array([0, 1]))                       # trace and compile once
    for _ in range(5):
        got = _messages(f, x, [np.array([1, v, 2]) for v in bad])
        for k, message in enumerate(got):
            assert message == f"index {bad[k]} is out of bounds for axis 0 with size 4", \
                f"thread {k}: {message}"


@needs_cc
def test_threads_get_their_own_index_error_detail_on_the_c_helper_path():
    f = tr.compile(lambda x, i: x[i] * 2.0, backend="c")
    _check_per_thread(f)
    assert type(f._hot).__name__ == "builtin_function_or_method"


@needs_cc
def test_threads_get_their_own_index_error_detail_on_the_cffi_path(monkeypatch):
    from tracer.backends.c import pycall

    monkeypatch.setattr(pycall, "_maker", [None])   # as if the helper could not be built
    f = tr.compile(lambda x, i: x[i] * 2.0, backend="c")
    _check_per_thread(f)
    assert type(f._hot).__name__ == "function"


@needs_cc
def test_threads_get_their_own_index_error_detail_on_the_general_path():
    """Strided arguments take the slow path (its own detail buffer per call)."""
    f = tr.compile(lambda x, i: x[i] * 2.0, backend="c")
    x = np.arange(8.0)[::2]
    bad = [50 + k for k in range(THREADS)]
    f(x, np.array([0]))
    got = _messages(f, x, [np.array([v]) for v in bad])
    assert got == [f"index {v} is out of bounds for axis 0 with size 4" for v in bad]


@needs_cc
@pytest.mark.parametrize("index", [-5, 4, 2**40])
def test_the_error_detail_names_the_index_axis_and_size(index):
    f = tr.compile(lambda x, i: x[:, i], backend="c")
    x = np.zeros((2, 4))
    with pytest.raises(IndexError, match=f"^index {index} is out of bounds for axis 1 "
                                         "with size 4$"):
        f(x, np.array([0, index]))
