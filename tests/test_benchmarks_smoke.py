"""The benchmark harness runs end to end (numpy and tracer only, quick mode) and its
checking step refuses wrong results instead of timing them."""
import os
import re
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from benchmarks.harness.core import Case, Context, Skip  # noqa: E402
from benchmarks.harness.measure import run_case  # noqa: E402

RUN = os.path.join(ROOT, "benchmarks", "run.py")


def run_harness(tmp_path, *args):
    out = tmp_path / "results.md"
    proc = subprocess.run([sys.executable, RUN, "--quick", "--systems", "numpy,tracer",
                           "--out", str(out), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout, out.read_text()


def table_rows(text):
    """{(case, system): cells} of every markdown table row below a header row."""
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| ") and len(cells) == 7 and cells[0] != "case":
            rows[(cells[0], cells[1])] = cells
    return rows


def test_overhead_and_trace_time_tables(tmp_path):
    stdout, appended = run_harness(tmp_path, "--only", "overhead,trace_time")
    assert "| case | system | median | unit | spread | speedup vs numpy | note |" in stdout
    assert appended.strip() and "speedup vs numpy" in appended
    rows = table_rows(stdout)
    for key in [("overhead", "numpy"), ("overhead", "tracer"), ("trace_time", "numpy"),
                ("trace_time", "tracer (trace)"), ("trace_time", "tracer (trace+compile)")]:
        cells = rows[key]
        assert re.fullmatch(r"[\d,.]+(e[-+]?\d+)?", cells[2]), cells   # a number, not WRONG
        assert re.fullmatch(r"\d[\d.]*(e-\d+)?x", cells[5]), cells
    assert rows[("overhead", "numpy")][5] == "1.00x"
    assert "Skipped (not installed)" in stdout


def test_thread_cases_run_in_child_processes(tmp_path):
    stdout, _ = run_harness(tmp_path, "--only", "threads/sum", "--systems", "numpy")
    rows = table_rows(stdout)
    assert rows[("threads/sum (1 thr)", "numpy")][5] == "1.00x"
    assert rows[("threads/sum (2 thr)", "numpy")][5] == "1.00x"
    assert "| threads/sum | numpy |" in stdout  # the 2-over-1 summary


def _case(builders):
    rng = np.random.default_rng(0)
    return Case(name="t", description="t", unit="s", to_unit=lambda s: s,
                setup=lambda: rng.standard_normal(5), builders=builders, rtol=1e-12)


def test_wrong_results_are_reported_not_timed():
    def wrong(x, ctx):
        return lambda: x * 2.0000001

    def skipped(x, ctx):
        raise Skip("not today")

    builders = {"numpy": lambda x, ctx: (lambda: x * 2.0), "tracer": wrong,
                "tracer (b)": skipped, "tracer (c)": lambda x, ctx: None,
                "tracer (d)": lambda x, ctx: (lambda: (x * 2.0).astype(np.float32))}
    rows = {r["system"]: r for r in run_case(_case(builders), Context(quick=True), None, 2)}
    assert rows["numpy"]["status"] == "ok" and len(rows["numpy"]["samples"]) == 2
    assert rows["tracer"]["status"] == "WRONG" and not rows["tracer"]["samples"]
    assert rows["tracer (b)"]["status"] == "skipped" and rows["tracer (b)"]["note"] == "not today"
    assert "tracer (c)" not in rows
    assert rows["tracer (d)"]["status"] == "WRONG" and "dtype" in rows["tracer (d)"]["note"]
