"""Run a fuzzed program with numpy and with tracer's backends; compare everything.

For each backend the program is compiled with `tr.compile(fn, backend=...)` and called
twice: once with the arguments as drawn (odd layouts: the general call path), once with
C-contiguous copies (the fast, "exact" call path). Each result is compared with numpy's
on the pytree structure, dtype, shape and values; a numpy error must be tracer's too
(an exception of the same builtin class, raised at trace or at call time); arguments
must not be written.

Values are compared by how exact numpy's own result is (optable.py): bit-identical
(NaN positions, signed zeros) where numpy's ops are exactly rounded, within a tolerance
scaled by the computation's magnitude where they are not, and not at all after a
discontinuous function of an inexact value.

Run from the repository root:
    python -m tests.fuzz.runner --seeds 0:1000 --backends python,c --jobs 2
    python -m tests.fuzz.runner --seed 123          # one program, shown in full
Each program runs in a worker process with a timeout (`--timeout`), so a hang or a crash
is reported with its seed instead of stopping the run.
"""
from __future__ import annotations

import argparse
import builtins
import json
import os
import queue
import subprocess
import sys
import threading
import time
import traceback
import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .generator import Program, as_case, generate
from .known import documented
from .optable import APPROX, EXACT, LOOSE

RTOL = {np.dtype("float64"): 1e-9, np.dtype("float32"): 2e-3, np.dtype("float16"): 2e-2}


@dataclass
class Outcome:
    values: list[Any] | None = None
    error: BaseException | None = None
    stage: str = ""                 # trace / call / fast call: where tracer raised


@dataclass
class Report:
    seed: int
    status: str = "agree"           # agree | mismatch | documented | hang | crash
    problems: list[str] = field(default_factory=list)
    known: list[str] = field(default_factory=list)
    source: str = ""

    def as_json(self) -> str:
        return json.dumps({"seed": self.seed, "status": self.status, "problems": self.problems,
                           "known": self.known})


def _leaves(result: Any) -> list[Any]:
    return list(result) if isinstance(result, tuple) else [result]


def run_numpy(program: Program, args: list[Any] | None = None) -> Outcome:
    fn = program.function()
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return Outcome(_leaves(fn(*(program.args if args is None else args))))
    except Exception as err:        # noqa: BLE001 - numpy's error is the expected result
        return Outcome(error=err)


def _contiguous(a: Any) -> Any:
    return np.array(a, order="C") if isinstance(a, np.ndarray) else a


def run_tracer(program: Program, backend: str, args: list[Any],
               other: list[Any] | None) -> list[Outcome]:
    """The first call (traces and compiles) with `args`, the call with C-contiguous
    copies, then one with `other` values (if any); an error ends the run."""
    import tracer as tr

    fn = program.function()
    # wait: the C module itself, not the reference executor that a background compile
    # answers first calls with (outside pytest's conftest, background compile is on)
    compiled = tr.compile(fn, backend=backend, wait=True)
    outcomes = []
    calls = [("call", args), ("fast call", [_contiguous(a) for a in args])]
    if other is not None:
        calls.append(("new values", other))
    for stage, call_args in calls:
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                outcomes.append(Outcome(_leaves(compiled(*call_args)), stage=stage))
        except Exception as err:    # noqa: BLE001 - compared with numpy's
            outcomes.append(Outcome(error=err, stage=stage))
            break
    return outcomes


def _builtin_bases(exc: BaseException) -> tuple[type, ...]:
    return tuple(c for c in type(exc).__mro__ if getattr(builtins, c.__name__, None) is c
                 and c not in (Exception, BaseException, object))


def _first_line(err: BaseException) -> str:
    return f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"[:200]


def compare_errors(want: Outcome, got: Outcome) -> list[str]:
    if want.error is not None and got.error is not None:
        if isinstance(got.error, _builtin_bases(want.error)):
            return []
        return [f"error class: numpy {_first_line(want.error)}; "
                f"tracer {_first_line(got.error)}"]
    if want.error is not None:
        return [f"missed error: numpy {_first_line(want.error)}; tracer returned"]
    return [f"refused: {_first_line(got.error)}"]


def _float_problem(g: np.ndarray, w: np.ndarray, taint: int, mag: float) -> str | None:
    gn, wn = np.isnan(g), np.isnan(w)
    if not np.array_equal(gn, wn):
        return "NaN positions differ"
    g, w = g[~wn], w[~wn]
    if taint == EXACT:
        same = (g == w) & (np.signbit(g) == np.signbit(w))
        if not same.all():
            k = int(np.argmin(same))
            return f"not bit-exact: {g[k]!r} != numpy's {w[k]!r}"
        return None
    gi, wi = np.isinf(g), np.isinf(w)
    if not np.array_equal(g[gi | wi], w[gi | wi]):
        return "infinities differ"
    rtol = RTOL.get(w.dtype, 1e-9)
    g64, w64 = g[~wi].astype(np.float64), w[~wi].astype(np.float64)
    err = np.abs(g64 - w64)
    bound = rtol * np.abs(w64) + rtol * max(mag, 1e-300) * 4
    if (err > bound).any():
        k = int(np.argmax(err - bound))
        return f"beyond tolerance: {g64[k]!r} vs numpy's {w64[k]!r} (scale {mag:.3g})"
    return None


def compare_values(program: Program, want: list[Any], got: list[Any],
                   exact_only: bool = False) -> list[str]:
    if len(want) != len(got):
        return [f"{len(got)} results, numpy has {len(want)}"]
    problems = []
    for k, (g, w) in enumerate(zip(got, want)):
        g, w = np.asarray(g), np.asarray(w)
        taint = program.out_taints[k] if k < len(program.out_taints) else APPROX
        if exact_only and taint != EXACT:
            taint = LOOSE
        mag = program.out_mags[k] if k < len(program.out_mags) else 1.0
        if g.dtype != w.dtype:
            problems.append(f"result {k}: dtype {g.dtype}, numpy's {w.dtype}")
        elif g.shape != w.shape:
            problems.append(f"result {k}: shape {g.shape}, numpy's {w.shape}")
        elif taint <= APPROX and w.dtype.kind == "f":
            found = _float_problem(g, w, taint, mag)
            if found:
                problems.append(f"result {k}: {found}")
        elif taint <= APPROX and not np.array_equal(g, w):
            bad = np.argwhere(g != w)[0] if g.ndim else ()
            problems.append(f"result {k}: {g[tuple(bad)]!r} != numpy's {w[tuple(bad)]!r} "
                            f"at {tuple(int(i) for i in bad)}")
    return problems


def check_program(program: Program, backends: tuple[str, ...]) -> Report:
    """Every difference between numpy and the backends on one program."""
    report = Report(program.seed, source=program.source)
    other = program.other_args()
    first = run_numpy(program)
    second = run_numpy(program, other) if other is not None else first
    for backend in backends:
        before = [np.copy(a) if isinstance(a, np.ndarray) else a for a in program.args]
        for got in run_tracer(program, backend, program.args, other):
            # new values: the tolerances were set for the drawn ones, so only exact
            # results are compared there
            want = second if got.stage == "new values" else first
            if want.error is not None or got.error is not None:
                problems = compare_errors(want, got)
            else:
                problems = compare_values(program, want.values, got.values,
                                          exact_only=got.stage == "new values")
            report.problems += [f"[{backend} {got.stage}] {p}" for p in problems]
            if got.error is not None and want.error is None and not isinstance(
                    got.error, (TypeError, ValueError, IndexError, OverflowError)):
                report.problems.append("".join(traceback.format_exception(got.error))[-1500:])
        for a, b in zip(program.args, before):
            if isinstance(a, np.ndarray) and not np.array_equal(a, b, equal_nan=True):
                report.problems.append(f"[{backend}] an argument was written")
    if report.problems:
        report.known = documented(program, report.problems)
        report.status = "documented" if report.known else "mismatch"
    return report


# -- the watchdog pool ---------------------------------------------------------------
def _worker(backends: tuple[str, ...], max_ops: int) -> None:
    """Read seeds from stdin, write one JSON report per seed to stdout."""
    for line in sys.stdin:
        seed = int(line)
        try:
            report = check_program(generate(seed, max_ops=max_ops), backends)
        except Exception as err:    # noqa: BLE001 - a generator or harness failure
            report = Report(seed, "mismatch", [f"harness: {_first_line(err)}"])
        print(report.as_json(), flush=True)


class _Worker:
    def __init__(self, backends: tuple[str, ...], max_ops: int):
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.fuzz.runner", "--worker", "--backends",
             ",".join(backends), "--max-ops", str(max_ops)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True, cwd=root, env=env)
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def run(self, seed: int, timeout: float) -> Report:
        self.proc.stdin.write(f"{seed}\n")
        self.proc.stdin.flush()
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            self.stop()
            return Report(seed, "hang", [f"no result in {timeout:.0f} s"])
        if line is None:
            return Report(seed, "crash", [f"worker died (exit code {self.proc.wait()})"])
        data = json.loads(line)
        return Report(data["seed"], data["status"], data["problems"], data["known"])

    def stop(self) -> None:
        """Kill the worker and close its pipes (a pipe left open is a ResourceWarning)."""
        self.proc.kill()
        self.proc.wait()
        self.reader.join(timeout=10)
        for pipe in (self.proc.stdin, self.proc.stdout):
            try:
                pipe.close()
            except (BrokenPipeError, OSError, ValueError):
                pass


def run_pool(seeds: list[int], backends: tuple[str, ...], jobs: int = 1,
             timeout: float = 60.0, max_ops: int = 12) -> list[Report]:
    """Each seed in a worker process; a worker that hangs or dies is replaced."""
    todo: queue.Queue[int] = queue.Queue()
    for s in seeds:
        todo.put(s)
    reports: list[Report] = []
    lock = threading.Lock()

    def drive() -> None:
        worker = _Worker(backends, max_ops)
        while True:
            try:
                seed = todo.get_nowait()
            except queue.Empty:
                break
            report = worker.run(seed, timeout)
            with lock:
                reports.append(report)
            if report.status in ("hang", "crash"):
                worker.stop()
                worker = _Worker(backends, max_ops)
        worker.stop()

    threads = [threading.Thread(target=drive) for _ in range(max(1, jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(reports, key=lambda r: r.seed)


def summary(reports: list[Report]) -> Counter:
    return Counter(r.status for r in reports)


def _main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default="0:100", help="start:stop")
    parser.add_argument("--seed", type=int, help="run one program in this process, verbosely")
    parser.add_argument("--backends", default="python,c")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--emit", metavar="NOTE",
                        help="with --seed: print the program as a corpus case")
    parser.add_argument("--max-ops", type=int, default=12, help="lines per program, at most")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    opts = parser.parse_args()
    backends = tuple(opts.backends.split(","))
    if opts.worker:
        _worker(backends, opts.max_ops)
        return
    if opts.seed is not None:
        program = generate(opts.seed, max_ops=opts.max_ops)
        if opts.emit:
            print(json.dumps(as_case(program, opts.emit)))
            return
        print(program.source)
        for a, name in zip(program.args, program.arg_names):
            print(f"{name} = {a!r}" if not isinstance(a, np.ndarray) else
                  f"{name}: {a.dtype}{list(a.shape)} strides {a.strides}\n{a!r}")
        report = check_program(program, backends)
        print(report.status, *report.problems, *report.known, sep="\n")
        return
    start, stop = (int(v) for v in opts.seeds.split(":"))
    t0 = time.time()
    reports = run_pool(list(range(start, stop)), backends, opts.jobs, opts.timeout,
                       opts.max_ops)
    for r in reports:
        if r.status != "agree":
            print(r.as_json())
    print(dict(summary(reports)), f"{len(reports)} programs in {time.time() - t0:.0f} s")


if __name__ == "__main__":
    _main()
