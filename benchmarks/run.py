#!/usr/bin/env python
"""Run tracer's benchmarks side by side with numpy and every installed peer.

    python benchmarks/run.py                          # everything (the peers' venv: .bench-venv)
    python benchmarks/run.py --only overhead,trace_time --quick
    python benchmarks/run.py --backend c --out benchmarks/RESULTS.md

Cases that declare thread counts (the MLP training steps, the threads workload) run in
child processes of this script, one per count, with OMP_NUM_THREADS, OPENBLAS_NUM_THREADS,
TRACER_NUM_THREADS (...) set and the CPU affinity narrowed to N CPUs.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)



def _pin_cpus() -> None:
    """A child run with --threads N keeps to N CPUs (set before any library starts threads)."""
    if "--threads" in sys.argv[:-1]:
        n = int(sys.argv[sys.argv.index("--threads") + 1])
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:n])


_pin_cpus()

from benchmarks.harness import systems  # noqa: E402

systems.configure_env()

from benchmarks.harness.core import Context  # noqa: E402
from benchmarks.harness.measure import run_case  # noqa: E402
from benchmarks.harness.report import header, table  # noqa: E402
from benchmarks.workloads import load_groups  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--only", default="", help="comma-separated workloads or case names")
    p.add_argument("--systems", default="",
                   help="comma-separated systems to run besides numpy (default: all installed)")
    p.add_argument("--repeat", type=int, default=None, help="samples per system and case")
    p.add_argument("--quick", action="store_true", help="few, short samples (smoke test)")
    p.add_argument("--backend", choices=("python", "c", "cuda"), default=None,
                   help="tracer backend (default: tracer's own default)")
    p.add_argument("--out", default=None, help="append the tables to this markdown file")
    p.add_argument("--list", action="store_true", help="list workloads and cases, run nothing")
    p.add_argument("--threads", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--json", default=None, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def _matches(group, case, tokens: list[str]) -> bool:
    return not tokens or any(t == group.name or t == case.name or case.name.startswith(t + "/")
                             for t in tokens)


def select(ctx: Context, only: str) -> list[tuple]:
    tokens = [t.strip() for t in only.split(",") if t.strip()]
    chosen = []
    for group in load_groups():
        cases = [c for c in group.cases(ctx) if _matches(group, c, tokens)]
        if cases:
            chosen.append((group, cases))
    if tokens and not chosen:
        raise SystemExit(f"--only {only!r}: no such workload or case (see --list)")
    return chosen


def _repeat(args: argparse.Namespace, group, case) -> int:
    if args.repeat:
        return args.repeat
    if args.quick:
        return 3
    return case.repeat or group.default_repeat


def run_children(cases: list, n: int, args: argparse.Namespace) -> list[dict]:
    """Run `cases` in a child process whose libraries all use n threads."""
    with tempfile.TemporaryDirectory(prefix="tracer-bench-") as tmp:
        out = os.path.join(tmp, "rows.json")
        cmd = [sys.executable, os.path.abspath(__file__), "--only",
               ",".join(c.name for c in cases), "--threads", str(n), "--json", out]
        for flag, value in (("--systems", args.systems), ("--repeat", args.repeat),
                            ("--backend", args.backend)):
            if value:
                cmd += [flag, str(value)]
        cmd += ["--quick"] if args.quick else []
        env = dict(os.environ, **systems.thread_env(n))
        print(f"  child process with {n} thread(s)", file=sys.stderr, flush=True)
        proc = subprocess.run(cmd, env=env)
        if proc.returncode != 0 or not os.path.exists(out):
            return [{"case": c.name, "description": c.description, "system": "numpy",
                     "status": "ERROR", "note": f"child with {n} threads exited {proc.returncode}",
                     "unit": c.unit, "higher_is_better": c.higher_is_better, "samples": [],
                     "threads": n} for c in cases]
        with open(out) as f:
            return json.load(f)


def run_group(group, cases: list, args: argparse.Namespace, ctx: Context) -> list[dict]:
    systems_filter = {s.strip() for s in args.systems.split(",") if s.strip()} or None
    rows: list[dict] = []
    local = [c for c in cases if c.threads is None or ctx.threads is not None]
    for case in local:
        rows += run_case(case, ctx, systems_filter, _repeat(args, group, case))
    counts = sorted({n for c in cases if c.threads and ctx.threads is None for n in c.threads})
    for n in counts:
        rows += run_children([c for c in cases if c.threads and n in c.threads], n, args)
    return rows


def tracer_backend(args: argparse.Namespace) -> str:
    if args.backend:
        return args.backend
    mod, _ = systems.load("tracer")
    return mod.config.backend if mod is not None else "absent"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tracer-bench-scratch-") as scratch:
        ctx = Context(backend=args.backend, quick=args.quick, threads=args.threads,
                      scratch=scratch)
        chosen = select(ctx, args.only)
        if args.list:
            for group, cases in chosen:
                print(f"{group.name}: {group.description}")
                for case in cases:
                    print(f"    {case.name}  [{case.unit}]  {case.description}")
            return 0
        return _run(chosen, args, ctx)


def _run(chosen: list, args: argparse.Namespace, ctx: Context) -> int:
    all_rows: list[dict] = []
    top = header(tracer_backend(args), args.quick) if args.json is None else ""
    if top:
        print(top + "\n", flush=True)
        _append(args.out, "\n## Benchmark run\n\n" + top + "\n")
    for group, cases in chosen:
        print(f"[{group.name}] {group.description}", file=sys.stderr, flush=True)
        rows = run_group(group, cases, args, ctx)
        all_rows += rows
        if args.json is not None:
            continue
        units = {c.name: c.to_unit for c in cases}
        text = f"### {group.name}: {group.description}\n\n{table(rows, units)}\n"
        if group.report is not None:
            extra = group.report(rows, ctx)
            text += f"\n{extra}\n" if extra else ""
        print(text, flush=True)
        _append(args.out, "\n" + text)
    if args.json is not None:
        with open(args.json, "w") as f:
            json.dump(all_rows, f)
    return 0


def _append(path: str | None, text: str) -> None:
    if path:
        with open(path, "a") as f:
            f.write(text)


if __name__ == "__main__":
    sys.exit(main())
