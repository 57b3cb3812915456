import os
import tempfile

import numpy as np
import pytest

os.environ.setdefault("TRACER_BACKEND", "python")
# Tests never write to the user's real cache: one private folder for the whole session.
os.environ.setdefault("TRACER_CACHE_DIR", tempfile.mkdtemp(prefix="tracer-test-cache-"))


@pytest.fixture
def rng():
    return np.random.default_rng(0)
