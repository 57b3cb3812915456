import os

import numpy as np
import pytest

os.environ.setdefault("TRACER_BACKEND", "python")


@pytest.fixture
def rng():
    return np.random.default_rng(0)
