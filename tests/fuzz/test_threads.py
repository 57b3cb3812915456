"""Property: a compiled function called from 8 threads at once gives each thread what a
serial call with its arguments gives (values, or the same error and message), on both
backends. The programs are the fuzzer's; each thread has its own argument values."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from .corpus import THREADS, _call_in_threads, _same
from .generator import generate

SEEDS = {"python": range(300, 324), "c": range(2000, 2008)}


def _thread_mismatches(seed: int, backend: str, rounds: int = 5) -> list[str]:
    import tracer as tr

    program = generate(seed)
    per_thread = [program.args] + [program.other_args(k) for k in range(1, THREADS)]
    compiled = tr.compile(program.function(), backend=backend, wait=True)
    serial = [_call_in_threads(compiled, [args])[0] for args in per_thread]
    for _ in range(rounds):
        got = _call_in_threads(compiled, per_thread)
        bad = [k for k in range(THREADS) if not _same(got[k], serial[k])]
        if bad:
            return [f"seed {seed} ({backend}) threads {bad}: {got[bad[0]]!r} != serial "
                    f"{serial[bad[0]]!r}\n{program.source}"]
    return []


@pytest.mark.parametrize("backend", ["python", "c"])
def test_eight_threads_at_once_match_serial_calls(backend):
    if backend == "c" and shutil.which("cc") is None:
        pytest.skip("no C compiler (cc)")
    problems = [p for seed in SEEDS[backend] for p in _thread_mismatches(seed, backend)]
    assert not problems, "\n\n".join(problems)


def test_threads_see_their_own_arguments():
    """The property has teeth: thread k's result is not thread j's."""
    program = generate(SEEDS["python"][0])
    a, b = program.other_args(1), program.other_args(2)
    assert any(isinstance(x, np.ndarray) and not np.array_equal(x, y, equal_nan=True)
               for x, y in zip(a, b)) or all(not isinstance(x, np.ndarray) for x in a)
