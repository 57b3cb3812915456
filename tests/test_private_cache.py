"""The test suite never writes into the user's cache: not ~/.cache/tracer, not a
TRACER_CACHE_DIR the user set, but one private temporary folder that subprocesses inherit."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import tracer as tr

REPO = Path(__file__).resolve().parent.parent

# Run by a pytest started below with the suite's conftest and a TRACER_CACHE_DIR preset:
# it compiles into the default cache here and in a subprocess.
PROBE = '''
import os, subprocess, sys
from tracer.cache import compiled_library

SOURCE = "int add(int a, int b) { return a + b; }\\n"
CODE = ("from tracer.cache import compiled_library; print(compiled_library(%r, "
        "compiler=['cc'], flags=['-O2', '-shared', '-fPIC']))" % SOURCE)


def test_probe():
    path = compiled_library(SOURCE, compiler=["cc"], flags=["-O2", "-shared", "-fPIC"])
    assert path.startswith(os.environ["TRACER_CACHE_DIR"] + os.sep)
    child = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True)
    assert child.returncode == 0, child.stderr
    assert child.stdout.strip() == path
'''


def test_this_session_uses_a_private_temporary_cache():
    folder = os.environ["TRACER_CACHE_DIR"]
    assert os.path.basename(folder).startswith("tracer-test-cache-")
    assert Path(folder).resolve().is_relative_to(Path(tempfile.gettempdir()).resolve())
    assert folder != os.path.expanduser("~/.cache/tracer")
    assert tr.config.cache_dir == folder
    assert tr.cache.cache_dir() == folder
    assert os.stat(folder).st_mode & 0o077 == 0


@pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler (cc)")
def test_a_preset_tracer_cache_dir_and_home_cache_stay_untouched(tmp_path):
    users, xdg = tmp_path / "users-cache", tmp_path / "xdg"
    users.mkdir(mode=0o700)
    probe = tmp_path / "test_probe.py"
    probe.write_text(PROBE)
    env = dict(os.environ, TRACER_CACHE_DIR=str(users), XDG_CACHE_HOME=str(xdg))
    env.pop("PYTHONWARNINGS", None)
    done = subprocess.run([sys.executable, "-m", "pytest", "-c", str(REPO / "pyproject.toml"),
                           "--rootdir", str(REPO), "-p", "tests.conftest", "-p",
                           "no:cacheprovider", str(probe)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
    assert list(users.iterdir()) == []
    assert not xdg.exists()
