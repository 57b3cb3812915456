"""Compiled functions and transforms pickle by function and graph, never by binary.

Every round trip goes through a fresh Python process: the pickle is written to a
file, a subprocess loads it, calls the function and sends back the results with
what it saw (signatures already traced on arrival, libraries it compiled, its cache
folder). The receiver gets a fresh TRACER_CACHE_DIR unless a test says otherwise.
"""
from __future__ import annotations

import os
import pickle
import subprocess
import sys
import textwrap

import cloudpickle
import numpy as np
import pytest

import tracer as tr
from tracer.trace import pytree

from ..backends.c.support import needs_cc

BACKENDS = ["python", pytest.param("c", marks=needs_cc)]

RECEIVER = textwrap.dedent("""
    import os, pickle, sys
    import tracer as tr

    def traced(fn):
        if isinstance(fn, tr.CompiledFunction):
            return fn.cache_size
        return sum(c.cache_size for c in fn._by_static.values())   # a transform

    with open(sys.argv[1], "rb") as fh:
        fn, calls = pickle.load(fh)
    before = traced(fn)
    results = []
    for args, kwargs in calls:
        try:
            results.append(fn(*args, **kwargs))
        except Exception as err:
            results.append(("raised", type(err).__name__, str(err)))
    info = {"traced_on_arrival": before, "traced_after": traced(fn),
            "compiled": tr.cache.compile_count(), "entries": tr.cache.info()["entries"],
            "backend": tr.config.backend}
    with open(sys.argv[2], "wb") as fh:
        pickle.dump((results, info), fh)
""")


def round_trip(tmp_path, payload: bytes, backend: str | None = None,
               cache_dir: str | None = None) -> tuple[list, dict]:
    """Load `payload` (a pickled (fn, calls)) in a fresh process and run the calls."""
    source, result = tmp_path / "payload.pkl", tmp_path / "result.pkl"
    source.write_bytes(payload)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), env.get("PYTHONPATH", "")])
    env["TRACER_CACHE_DIR"] = cache_dir or str(tmp_path / "receiver-cache")
    if backend is not None:
        env["TRACER_BACKEND"] = backend
    done = subprocess.run([sys.executable, "-c", RECEIVER, str(source), str(result)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    with open(result, "rb") as fh:
        return pickle.load(fh)


MODULE = textwrap.dedent("""
    import numpy as np
    import tracer as tr

    @tr.compile(backend="python")
    def f_python(x, y):
        return np.sin(x) * y + 1

    @tr.compile(backend="c")
    def f_c(x, y):
        return np.sin(x) * y + 1
""")


@pytest.fixture
def user_module(tmp_path, monkeypatch):
    """An importable module of decorated functions, as a user's package would be."""
    (tmp_path / "pickled_user_module.py").write_text(MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    import pickled_user_module
    yield pickled_user_module
    sys.modules.pop("pickled_user_module", None)


@pytest.mark.parametrize("backend", BACKENDS)
def test_module_function_goes_by_name_with_its_signatures(tmp_path, user_module, backend):
    f = getattr(user_module, f"f_{backend}")
    x, y = np.linspace(-1, 1, 7), np.arange(7.0)
    f(x, y)
    payload = pickle.dumps((f, [((x, y), {}), ((x[:3], y[:3]), {})]))
    assert b"pickled_user_module" in payload and b"\x7fELF" not in payload
    assert pickle.loads(pickle.dumps(f)) is f       # in one process: the module's object
    (same, short), info = round_trip(tmp_path, payload)
    np.testing.assert_array_equal(same, np.sin(x) * y + 1)
    np.testing.assert_array_equal(short, np.sin(x[:3]) * y[:3] + 1)
    # the shipped signature arrived traced; the new shape was traced there
    assert info["traced_on_arrival"] == 1 and info["traced_after"] == 2


@pytest.mark.parametrize("backend", BACKENDS)
def test_closure_goes_by_value_through_cloudpickle(tmp_path, backend):
    scale, offset = 2.5, np.array([1.0, -2.0, 3.0])
    f = tr.compile(lambda p: {"y": np.tanh(p["x"] * scale) + offset}, backend=backend)
    params = {"x": np.array([[0.1, 0.2, 0.3], [-1.0, 0.5, 2.0]])}
    f(params)
    (out,), info = round_trip(tmp_path, cloudpickle.dumps((f, [((params,), {})])))
    np.testing.assert_allclose(out["y"], np.tanh(params["x"] * scale) + offset, rtol=1e-14)
    # a dict's key hash differs between processes: the signature must still match
    assert info["traced_on_arrival"] == info["traced_after"] == 1


def _loss(w, x, y):
    return np.sum((np.tanh(x @ w) - y) ** 2)


def _grad_loss(w, x, y):
    r = np.tanh(x @ w) - y
    return x.T @ (2 * r * (1 - np.tanh(x @ w) ** 2))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("make", [
    lambda: tr.grad(_loss),
    lambda: tr.compile(tr.grad(_loss)),
    lambda: tr.grad(tr.compile(_loss)),
    lambda: tr.value_and_grad(lambda w, x, y: _loss(w, x, y), argnums=(0, 2)),
], ids=["grad", "compile-grad", "grad-compile", "value_and_grad-lambda"])
def test_transforms_round_trip(tmp_path, rng, make, backend):
    w, x, y = rng.standard_normal(3), rng.standard_normal((5, 3)), rng.standard_normal(5)
    fn = make()
    expected = fn(w, x, y)
    (out,), info = round_trip(tmp_path, cloudpickle.dumps((fn, [((w, x, y), {})])), backend)
    assert info["backend"] == backend
    assert info["traced_on_arrival"] == info["traced_after"] == 1
    got, want = pytree.flatten(out), pytree.flatten(expected)
    assert got[1] == want[1]
    for a, b in zip(got[0], want[0]):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    grad_w = out[1][0] if isinstance(out, tuple) else out
    np.testing.assert_allclose(grad_w, _grad_loss(w, x, y), rtol=1e-12)


def test_hessian_round_trips(tmp_path):
    hess = tr.hessian(_loss)
    w, x, y = np.array([0.3, -0.2]), np.eye(2) + 0.5, np.array([0.1, 0.4])
    expected = hess(w, x, y)
    (out,), info = round_trip(tmp_path, pickle.dumps((hess, [((w, x, y), {})])))
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    assert info["traced_on_arrival"] == 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_static_arguments_round_trip(tmp_path, backend):
    def power(x, n, *, mode):
        out = x
        for _ in range(n - 1):
            out = out * x
        return out if mode == "plain" else -out
    f = tr.compile(power, backend=backend, static_argnums=1, static_argnames="mode")
    x = np.linspace(0.5, 2, 5)
    f(x, 3, mode="plain")
    calls = [((x, 3), {"mode": "plain"}), ((x, 2), {"mode": "neg"})]
    (cube, neg_square), info = round_trip(tmp_path, cloudpickle.dumps((f, calls)))
    np.testing.assert_allclose(cube, x ** 3, rtol=1e-15)
    np.testing.assert_allclose(neg_square, -(x ** 2), rtol=1e-15)
    assert info["traced_on_arrival"] == 1 and info["traced_after"] == 2


def test_what_the_trace_assumed_travels_with_the_graph(tmp_path):
    """The trace took the Python int `k` to fit int8: the receiver checks that too."""
    f = tr.compile(lambda x, k: x + k)
    x = np.array([1, 2], dtype=np.int8)
    f(x, 3)
    (small, big), info = round_trip(tmp_path, cloudpickle.dumps((f, [((x, 4), {}),
                                                                   ((x, 300), {})])))
    np.testing.assert_array_equal(small, x + 4)
    assert small.dtype == np.int8
    assert big[:2] == ("raised", "OverflowError") and "argument k" in big[2]
    assert info["traced_after"] == 1


@needs_cc
def test_receiver_compiles_from_its_own_cache_not_from_the_pickle(tmp_path, rng):
    f = tr.compile(lambda a, b: np.exp(a) @ b + 1.0, backend="c")
    a, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 2))
    f(a, b)
    payload = cloudpickle.dumps((f, [((a, b), {})]))
    assert b"\x7fELF" not in payload and len(payload) < 20_000
    # a fresh cache folder: the receiver compiles, and the library lands in its folder
    (out,), info = round_trip(tmp_path, payload)
    np.testing.assert_allclose(out, np.exp(a) @ b + 1.0, rtol=1e-13)
    assert info["compiled"] >= 1 and info["entries"] >= 1
    assert any(name.endswith(".so") for name in os.listdir(tmp_path / "receiver-cache"))
    # the sender's cache folder: the same graph gives the same library, so nothing compiles
    (out,), info = round_trip(tmp_path, payload, cache_dir=tr.cache.cache_dir())
    np.testing.assert_allclose(out, np.exp(a) @ b + 1.0, rtol=1e-13)
    assert info["compiled"] == 0


def test_one_process_receiving_a_function_twice_keeps_one_object(rng):
    f = tr.compile(lambda x: np.cos(x) * 2.0)
    x = rng.standard_normal(4)
    f(x)
    payload = cloudpickle.dumps(f)
    assert pickle.loads(payload) is f       # the sender's own object, its executables kept
    grad = tr.grad(lambda x: np.sum(x ** 3))
    assert pickle.loads(cloudpickle.dumps(grad)) is grad


def test_internal_kernels_refuse_pickling_with_a_reason():
    kernel = tr.api.transforms._cached(np.sin, ("jvp",), lambda fn: lambda *a: a)
    with pytest.raises(TypeError, match="only tr.grad"):
        pickle.dumps(kernel)
