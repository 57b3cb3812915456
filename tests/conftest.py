import atexit
import os
import shutil
import sys
import tempfile

import numpy as np
import pytest

os.environ.setdefault("TRACER_BACKEND", "python")
# C-backend tests check the C module itself: calls wait for it (tests/api/test_background.py
# turns the background compile on where it is the subject)
os.environ.setdefault("TRACER_BACKGROUND_COMPILE", "0")
# Tests never write to the user's cache, neither ~/.cache/tracer nor a TRACER_CACHE_DIR the
# user set: one private folder (0700) for the whole session, which the processes tests
# start inherit, removed at exit.
CACHE_DIR = tempfile.mkdtemp(prefix="tracer-test-cache-")
os.environ["TRACER_CACHE_DIR"] = CACHE_DIR
atexit.register(shutil.rmtree, CACHE_DIR, True)
_config = getattr(sys.modules.get("tracer"), "config", None)
if _config is not None:                 # tracer imported before this file (by a plugin)
    _config.cache_dir = CACHE_DIR


@pytest.fixture
def rng():
    return np.random.default_rng(0)
