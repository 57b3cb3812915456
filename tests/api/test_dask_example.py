"""examples/dask_data_parallel.py end to end: 2 dask worker processes, the C backend.

The example starts its own LocalCluster and closes it; it runs as a script in a
subprocess, as a user runs it, so its functions live in `__main__` and reach the
workers by value (cloudpickle), the compiled gradient by its graph.
"""
from __future__ import annotations

import importlib.util
import os
import pathlib
import re
import subprocess
import sys

import pytest

from ..backends.c.support import needs_cc

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "dask_data_parallel.py"


@needs_cc
def test_dask_training_equals_one_process(tmp_path):
    if importlib.util.find_spec("distributed") is None:   # not imported here: the example does
        pytest.skip("dask.distributed is not installed (the optional extra 'dask')")
    env = dict(os.environ, TRACER_BACKEND="c", TRACER_CACHE_DIR=str(tmp_path / "cache"))
    done = subprocess.run([sys.executable, str(EXAMPLE), "--samples", "4000", "--steps", "8",
                           "--workers", "2"], env=env, capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 dask worker processes" in done.stdout
    diff = float(re.search(r"max \|dask - single\| over the parameters: (\S+)",
                           done.stdout).group(1))
    assert diff <= 1e-12, done.stdout
    before, after = map(float, re.search(r"loss per sample: (\S+) -> (\S+)",
                                         done.stdout).groups())
    assert after < 0.9 * before
