"""Numpy steps inside compiled C (backends/c/fallback.py): every NUMPY_FALLBACK op runs
in a real compiled module, between C kernels, on strided and broadcast inputs and
empty batches, equal to the reference executor; an exception in the step is numpy's
own, raised from the call, and the module stays usable."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from tracer.backends.c import compile_graph, render
from tracer.backends.python import compile_graph as compile_reference
from tracer.ir import Op, make_node
from tracer.ir.ops import LINALG, NUMPY_FALLBACK

from .support import graph, needs_cc, params

pytestmark = needs_cc


def _spd(rng, batch, n):
    x = rng.normal(size=batch + (n, n))
    return x @ np.swapaxes(x, -1, -2) + n * np.eye(n)


# op -> (attrs, input maker(rng, batch)); every linear algebra op has one (others that
# run as numpy steps are tested with their kind: FFT in tests/trace/test_fft.py)
CASES = {
    Op.CHOLESKY: ({}, lambda rng, bt: [_spd(rng, bt, 4)]),
    Op.SOLVE: ({}, lambda rng, bt: [_spd(rng, bt, 4), rng.normal(size=bt + (4, 2))]),
    Op.TRIANGULAR_SOLVE: ({"lower": True, "transpose": True, "unit": False},
                          lambda rng, bt: [_spd(rng, bt, 4), rng.normal(size=bt + (4, 3))]),
    Op.SLOGDET: ({}, lambda rng, bt: [rng.normal(size=bt + (4, 4))]),
    Op.EIGH: ({"lower": False, "vectors": True}, lambda rng, bt: [_spd(rng, bt, 4)]),
    Op.SVD: ({"full": True, "vectors": True}, lambda rng, bt: [rng.normal(size=bt + (5, 3))]),
    Op.QR: ({"mode": "reduced"}, lambda rng, bt: [rng.normal(size=bt + (5, 3))]),
    Op.EXPM: ({}, lambda rng, bt: [rng.normal(size=bt + (4, 4)) / 4]),
}


def test_every_linear_algebra_op_is_a_numpy_step_with_a_case():
    assert LINALG <= NUMPY_FALLBACK and set(CASES) == LINALG


def _graph(op, attrs, values):
    """exp(op(2 * x, ...)): C kernels before and after the numpy step."""
    ps = params(*[(str(v.dtype), v.shape) for v in values])
    doubled = [make_node(Op.ADD, [p, p], {}) for p in ps]
    out = make_node(op, doubled, attrs)
    return graph(ps, [make_node(Op.TANH, [out], {}), out])


@pytest.mark.parametrize("batch", [(), (3,), (2, 0)], ids=["one", "batched", "empty"])
@pytest.mark.parametrize("op", sorted(CASES, key=lambda o: o.value), ids=lambda o: o.value)
def test_numpy_step_in_c_matches_the_reference(op, batch, rng):
    attrs, make = CASES[op]
    values = [v * 0.5 for v in make(rng, batch)]
    g = _graph(op, attrs, values)
    assert "numpy step" in render(g).source
    want = compile_reference(g)(values)
    got = compile_graph(g)(values)
    for w, x in zip(want, got):
        assert w.dtype == x.dtype and w.shape == x.shape
        np.testing.assert_allclose(x, w, rtol=1e-12, atol=1e-12)


def test_strided_and_broadcast_inputs(rng):
    a = params(("float64", (3, 4, 4)))[0]
    view = make_node(Op.TRANSPOSE, [a], {"perm": (0, 2, 1)})        # strides from C
    out = make_node(Op.CHOLESKY, [view], {})
    exe = compile_graph(graph([a], [out]))
    x = _spd(rng, (3,), 4) + np.triu(rng.normal(size=(3, 4, 4)), 1)
    np.testing.assert_array_equal(exe([x])[0], np.linalg.cholesky(np.swapaxes(x, 1, 2)))
    strided = np.zeros((3, 8, 4))[:, ::2]
    strided[...] = x
    np.testing.assert_array_equal(exe([strided])[0], exe([x])[0])


def test_the_text_form_marks_numpy_steps():
    a = params(("float64", (4, 4)))[0]
    text = graph([a], [make_node(Op.EXPM, [a], {})]).as_text()
    assert "expm %0  # numpy fallback" in text


def test_an_error_is_numpys_and_the_module_stays_usable(rng):
    a = params(("float64", (2, 3, 3)))[0]
    exe = compile_graph(graph([a], [make_node(Op.CHOLESKY, [make_node(Op.EXP, [a], {})], {})]))
    bad = np.zeros((2, 3, 3))                        # exp(0) = all ones: not positive definite
    with pytest.raises(np.linalg.LinAlgError, match="not positive definite"):
        exe([bad])
    good = np.log(_spd(rng, (2,), 3) + 10)
    np.testing.assert_allclose(exe([good])[0], np.linalg.cholesky(np.exp(good)), rtol=1e-13)
    with pytest.raises(np.linalg.LinAlgError):
        exe([bad])


def test_threads_each_get_their_own_error(rng):
    a = params(("float64", (3, 3)))[0]
    exe = compile_graph(graph([a], [make_node(Op.SOLVE, [a, a], {})]))
    good, bad = _spd(rng, (), 3), np.zeros((3, 3))
    failures, results = [], []

    def work(x, n):
        for _ in range(n):
            try:
                results.append(exe([x])[0])
            except np.linalg.LinAlgError:
                failures.append(1)
    threads = [threading.Thread(target=work, args=(x, 50)) for x in (good, bad, good, bad)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(failures) == 100 and len(results) == 100
    for r in results:
        np.testing.assert_allclose(r, np.eye(3), atol=1e-12)


def test_overhead_of_a_numpy_step_is_small(rng):
    """The GIL round trip and the wrapping: measured against calling numpy directly."""
    a = params(("float64", (4, 4)))[0]
    g = graph([a], [make_node(Op.SLOGDET, [a], {})])
    exe, ref = compile_graph(g), compile_reference(g)
    x = _spd(rng, (), 4)
    exe([x])

    def best(fn):
        times = []
        for _ in range(5):
            t = time.perf_counter()
            for _ in range(200):
                fn([x])
            times.append((time.perf_counter() - t) / 200)
        return min(times)
    native, reference = best(exe), best(ref)
    print(f"numpy step in C {native * 1e6:.1f} us, reference executor {reference * 1e6:.1f} us")
    assert native < reference + 100e-6
