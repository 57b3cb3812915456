"""The examples run (small sizes) and converge; Newton-CG takes scipy's own path."""
from __future__ import annotations

import importlib.util
import pathlib

import numpy as np

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_newton_cg_matches_scipy_iteration_for_iteration():
    results = load("newton_cg").main(n=200, verbose=False)
    for method in ("Newton-CG", "trust-krylov"):
        ours, theirs = results[method, "tracer"], results[method, "scipy"]
        assert ours.success and theirs.success
        assert (ours.nit, ours.njev, ours.nhev) == (theirs.nit, theirs.njev, theirs.nhev)
        np.testing.assert_allclose(ours.x, np.ones(200), atol=1e-5)


def test_hessian_free_training_reduces_the_loss():
    losses = load("hessian_free").train(steps=6, cg_iters=30, verbose=False)
    assert losses[-1] < 0.2 * losses[0]
    assert all(b <= a for a, b in zip(losses, losses[1:]))
