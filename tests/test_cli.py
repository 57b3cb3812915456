"""`python -m tracer --help`: each command and every TRACER_ variable the code reads."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tracer.__main__ import main

REPO = Path(__file__).resolve().parent.parent


def _run(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("PYTHONWARNINGS", None)
    return subprocess.run([sys.executable, "-m", "tracer", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)


def _variables_in_the_code() -> set[str]:
    """Every TRACER_* name anywhere in the package (reads, defaults, docstrings)."""
    found: set[str] = set()
    for path in (REPO / "tracer").rglob("*.py"):
        found |= set(re.findall(r"\bTRACER_[A-Z][A-Z0-9_]*", path.read_text(encoding="utf-8")))
    return found


def test_help_describes_every_command_and_environment_variable():
    done = _run("--help")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    for command in ("demo", "cache info", "cache clear"):
        assert re.search(rf"^\s+{command}\s+\S", done.stdout, re.M), command
    variables = _variables_in_the_code()
    assert {"TRACER_BACKEND", "TRACER_NUM_THREADS", "TRACER_CACHE_DIR", "TRACER_OPTIMIZE",
            "TRACER_BLAS"} <= variables
    for name in sorted(variables):
        assert re.search(rf"^\s+{name}\s+\S", done.stdout, re.M), f"{name} is not described"


@pytest.mark.parametrize("words", [["-h"], ["help"], ["--help"]])
def test_every_help_spelling_prints_the_help_and_exits_0(words, capsys):
    assert main(words) == 0
    out, err = capsys.readouterr()
    assert out.startswith("usage: python -m tracer") and "TRACER_CACHE_DIR" in out
    assert err == ""


def test_cache_help():
    done = _run("cache", "--help")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert re.search(r"^\s+info\s+\S", done.stdout, re.M)
    assert re.search(r"^\s+clear\s+\S", done.stdout, re.M)
    assert "TRACER_CACHE_DIR" in done.stdout


@pytest.mark.parametrize("words", [["-h"], ["help"]])
def test_cache_help_spellings(words, capsys):
    assert main(["cache", *words]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("usage: python -m tracer cache") and err == ""


@pytest.mark.parametrize("words", [["bogus"], [], ["--help", "extra"], ["cache", "bogus"],
                                   ["cache", "--help", "extra"]])
def test_unknown_commands_exit_2_with_usage_on_stderr(words, capsys):
    assert main(words) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("usage: python -m tracer")


def test_unknown_command_in_a_real_process():
    done = _run("bogus")
    assert done.returncode == 2
    assert done.stdout == "" and done.stderr.startswith("usage: python -m tracer")
