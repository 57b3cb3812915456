"""The loop examples run as a user runs them: an RK4 fit and a character-level RNN."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

import tracer as tr

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load(name: str):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ode_fit_recovers_the_parameters_through_an_rk4_loop():
    ode = load("ode_fit")
    out = ode.fit(steps=300, verbose=False)
    np.testing.assert_allclose(out["theta"], ode.TRUE, rtol=0.05)
    loss = tr.compile(ode.make_loss(300, 15.0 / 300))
    args = (np.log(ode.TRUE), np.array([10.0, 5.0]), np.ones((300, 2)))
    assert loss.lower(*args).ops().count("scan") == 1
    np.testing.assert_allclose(loss(*args), ode.make_loss(300, 15.0 / 300)(*args), rtol=1e-12)


def test_char_rnn_trains_and_its_loop_is_a_scan():
    rnn = load("char_rnn")
    losses = rnn.train(updates=120, verbose=False)
    assert np.mean(losses[-10:]) < 0.5 * losses[0]
    rng = np.random.default_rng(1)
    params = [rng.standard_normal(s) * 0.1 for s in [(8, 5), (8, 8), (5, 8), (8,), (5,)]]
    inputs, targets = rng.integers(0, 5, 12), rng.integers(0, 5, 12)
    lowered = tr.compile(rnn.loss).lower(params, inputs, targets, np.zeros(8))
    assert lowered.ops().count("scan") == 1
    got = tr.compile(rnn.loss)(params, inputs, targets, np.zeros(8))
    want = rnn.loss(params, inputs, targets, np.zeros(8))
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-12)
