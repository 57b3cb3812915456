"""The seed corpus (corpus.json): issue 12's cases and the fuzzer's regressions, checked
on every backend against the expectation each one records."""
from __future__ import annotations

import json
import pathlib
import threading
import warnings
from typing import Any

import numpy as np

from .generator import from_case, generate
from .runner import Report, _first_line, check_program

CORPUS = json.loads((pathlib.Path(__file__).parent / "corpus.json").read_text())
CASES: list[dict[str, Any]] = CORPUS["cases"]
SEEDS: list[dict[str, Any]] = CORPUS["seeds"]
THREADS = 8


def expectation_problems(report: Report, expect: str) -> list[str]:
    """What is wrong with `report` given the case's expectation."""
    if expect == "agree":
        return report.problems
    name = expect.split(":", 1)[1].strip()
    if report.status != "documented" or name not in report.known:
        return [f"expected the documented difference {name!r}, got {report.status}: "
                f"{report.problems} {report.known}"]
    return []


def _call_in_threads(fn: Any, per_thread: list[list[Any]]) -> list[Any]:
    """fn(*args) from one thread per argument list, all released at once; each thread's
    result or exception."""
    barrier = threading.Barrier(len(per_thread))
    out: list[Any] = [None] * len(per_thread)

    def run(k: int) -> None:
        barrier.wait()
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                out[k] = fn(*per_thread[k])
        except Exception as err:    # noqa: BLE001 - compared with the serial run
            out[k] = err
    threads = [threading.Thread(target=run, args=(k,)) for k in range(len(per_thread))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, BaseException) or isinstance(b, BaseException):
        return type(a) is type(b) and str(a) == str(b)
    a, b = (x if isinstance(x, tuple) else (x,) for x in (a, b))
    return len(a) == len(b) and all(
        np.asarray(x).dtype == np.asarray(y).dtype
        and np.array_equal(np.asarray(x), np.asarray(y), equal_nan=np.asarray(x).dtype.kind == "f")
        for x, y in zip(a, b))


def thread_problems(case: dict[str, Any], backend: str, rounds: int = 20) -> list[str]:
    """Call the compiled case from 8 threads at once; every thread must get what a
    serial call with its arguments gets (errors: the same class and message)."""
    import tracer as tr

    fn = from_case(case).function()
    env_k = [{"np": np, "k": k} for k in range(THREADS)]
    per_thread = [[eval(text, env) for text in case["threads"]] for env in env_k]
    compiled = tr.compile(fn, backend=backend, wait=True)
    serial = [_call_in_threads(compiled, [args])[0] for args in per_thread]
    problems = []
    for _ in range(rounds):
        got = _call_in_threads(compiled, per_thread)
        for k, (g, w) in enumerate(zip(got, serial)):
            if not _same(g, w):
                shown = _first_line(g) if isinstance(g, BaseException) else repr(g)
                want = _first_line(w) if isinstance(w, BaseException) else repr(w)
                problems.append(f"[{backend} thread {k}] {shown} != serial {want}")
        if problems:
            break
    return problems


def _expect(entry: dict[str, Any], backend: str) -> str:
    """An entry's expectation: one string, or one per backend."""
    expect = entry.get("expect", "agree")
    return expect if isinstance(expect, str) else expect[backend]


def check_case(case: dict[str, Any], backends: tuple[str, ...]) -> list[str]:
    problems = []
    for backend in backends:
        report = check_program(from_case(case), (backend,))
        problems += expectation_problems(report, _expect(case, backend))
    if "threads" in case:
        for backend in backends:
            problems += thread_problems(case, backend)
    return problems


def check_seed(entry: dict[str, Any], backends: tuple[str, ...]) -> list[str]:
    problems = []
    for backend in backends:
        program = generate(entry["seed"], max_ops=entry.get("max_ops", 12))
        problems += expectation_problems(check_program(program, (backend,)),
                                         _expect(entry, backend))
    return problems
