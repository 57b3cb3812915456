"""Fixtures for the cache tests: a private cache folder per test, a tiny C library."""
from __future__ import annotations

import os
import shutil

import cffi
import pytest


def pytest_collection_modifyitems(items):
    """Every test here compiles C: mark it, and skip it where there is no `cc`."""
    no_cc = shutil.which("cc") is None
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.path).startswith(here + os.sep):
            item.add_marker(pytest.mark.needs_cc)
            if no_cc:
                item.add_marker(pytest.mark.skip(reason="no C compiler `cc` on PATH"))


@pytest.fixture
def cache_root(tmp_path):
    """A cache folder that does not exist yet; never the user's real cache."""
    return str(tmp_path / "cache")


@pytest.fixture
def load_add():
    """Load a library for real (cffi) and return its `add` function."""
    def load(path: str):
        ffi = cffi.FFI()
        ffi.cdef("int add(int a, int b);")
        return ffi.dlopen(path).add
    return load


@pytest.fixture
def counting_cc(tmp_path):
    """A compiler wrapper that appends a line to a marker file per compile, then runs cc.

    An independent witness of how many compiles really happened. Returns (script, marker).
    """
    marker = tmp_path / "compiles.log"
    script = tmp_path / "counting-cc"
    script.write_text(
        "#!/bin/sh\n"
        'case "$1" in --version) ;; *) echo "$$" >> "' + str(marker) + '" ;; esac\n'
        'exec cc "$@"\n')
    script.chmod(0o755)
    return str(script), marker
