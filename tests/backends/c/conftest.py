import shutil

import pytest


def pytest_collection_modifyitems(config, items):
    """Every test here compiles C: mark it, and skip it cleanly without a compiler."""
    skip = pytest.mark.skip(reason="no C compiler (cc) on this machine")
    for item in items:
        if "tests/backends/c" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.needs_cc)
            if shutil.which("cc") is None:
                item.add_marker(skip)
