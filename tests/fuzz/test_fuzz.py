"""The differential fuzzer against numpy (tests/fuzz/README.md): random programs over
numpy's operations, on both backends, compared on values, dtypes, shapes and errors.

Fast profile (the default run): 200 programs on the reference backend and 24 on the C
backend, in this process, the seed corpus, and derivatives of 40 (reference) and 6 (C)
smooth programs against central differences. Long profile (`-m slow`): 1200 programs on
both backends, each in a worker process with a timeout, so hangs and crashes are found
too, and 300 + 40 derivative checks. A failure names its seed:
`python -m tests.fuzz.runner --seed N` shows it.
"""
from __future__ import annotations

import shutil

import pytest

from .corpus import CASES, SEEDS, check_case, check_seed
from .generator import generate
from .gradients import gradient_problems
from .runner import check_program, run_pool, summary

FAST_REFERENCE = range(200)
FAST_C = range(1000, 1024)       # fixed seeds: the modules come from the cache after a first run
LONG = range(10_000, 11_200)
GRAD_FAST = {"python": range(40), "c": range(100, 106)}
GRAD_LONG = {"python": range(1000, 1300), "c": range(2000, 2040)}

needs_cc = pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler (cc)")


def _failures(seeds, backends) -> list[str]:
    failed = []
    for seed in seeds:
        report = check_program(generate(seed), backends)
        if report.status == "mismatch":
            failed.append(f"seed {seed}:\n{report.source}" + "\n".join(report.problems))
    return failed


def test_fast_profile_reference_backend():
    failed = _failures(FAST_REFERENCE, ("python",))
    assert not failed, "\n\n".join(failed)


@needs_cc
def test_fast_profile_c_backend():
    failed = _failures(FAST_C, ("c",))
    assert not failed, "\n\n".join(failed)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"][:60])
def test_corpus_case_reference_backend(case):
    problems = check_case(case, ("python",))
    assert not problems, "\n".join(problems)


@needs_cc
@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"][:60])
def test_corpus_case_c_backend(case):
    problems = check_case(case, ("c",))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("entry", SEEDS, ids=lambda e: str(e["seed"]))
def test_corpus_seed(entry):
    backends = ("python", "c") if shutil.which("cc") else ("python",)
    problems = check_seed(entry, backends)
    assert not problems, "\n".join(problems)


@pytest.mark.slow
@needs_cc
def test_long_profile_both_backends():
    reports = run_pool(list(LONG), ("python", "c"), jobs=2, timeout=120)
    counts = summary(reports)
    print(f"long profile: {len(reports)} programs, {dict(counts)}")
    bad = [r for r in reports if r.status in ("mismatch", "hang", "crash")]
    assert not bad, "\n".join(r.as_json() for r in bad)


def _check_gradients(seeds, backend: str) -> None:
    if backend == "c" and shutil.which("cc") is None:
        pytest.skip("no C compiler (cc)")
    problems = [p for seed in seeds for p in gradient_problems(seed, backend)]
    assert not problems, "\n\n".join(problems)


@pytest.mark.parametrize("backend", ["python", "c"])
def test_gradients_of_smooth_programs_match_central_differences(backend):
    _check_gradients(GRAD_FAST[backend], backend)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["python", "c"])
def test_gradients_long_profile(backend):
    _check_gradients(GRAD_LONG[backend], backend)
