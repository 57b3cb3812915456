"""Random compositions of ops, C backend against the reference backend."""
from __future__ import annotations

import pytest

from .random_graphs import random_graph
from .support import check, strided


def _run(seed: int) -> None:
    g, inputs = random_graph(seed)
    layouts = ["c", "neg", "T"]
    inputs = [strided(x, layouts[(seed + i) % 3]) for i, x in enumerate(inputs)]
    f32 = inputs[0].dtype.name == "float32"
    check(g, inputs, rtol=1e-3 if f32 else 1e-9, atol=1e-3 if f32 else 1e-9)


@pytest.mark.parametrize("seed", range(6))
def test_random_graph(seed):
    _run(seed)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(6, 80))
def test_random_graph_many(seed):
    _run(seed)
