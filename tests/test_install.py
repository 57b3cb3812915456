"""From the parent folder of a clone named `tracer`, `import tracer` gets the installed
package, not the clone folder (which Python would import as an empty namespace package)."""
from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(shutil.which("git") is None or not (REPO / ".git").exists(),
                    reason="needs git and this repository's history")
def test_a_clone_folder_named_tracer_does_not_shadow_the_installed_package(tmp_path):
    try:
        importlib.metadata.distribution("tracer")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("tracer is not installed (pip install -e .)")
    clone = tmp_path / "tracer"
    subprocess.run(["git", "clone", "-q", "--depth", "1", REPO.as_uri(), str(clone)],
                   check=True, capture_output=True, timeout=120)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONWARNINGS")}
    done = subprocess.run([sys.executable, "-c",
                           "import tracer; print(tracer.__file__); print(tracer.compile)"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, (
        "`import tracer` next to a clone named tracer did not import the package (an old "
        "editable install? run `pip install -e .` again):\n" + done.stderr)
    where, compile_fn = done.stdout.splitlines()
    assert not Path(where).resolve().is_relative_to(clone.resolve()), where
    assert compile_fn.startswith("<function compile")
