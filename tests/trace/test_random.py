"""np.random in compiled functions: fresh numbers every call, numpy's own stream.

Every test runs the function eagerly and compiled from the same seed: a compiled
function takes exactly the numbers the eager one would, in the same order.
"""
from __future__ import annotations

import pickle
import subprocess
import sys
import threading
import warnings

import cloudpickle
import numpy as np
import pytest

import tracer as tr
from tests.helpers import assert_same
from tracer.trace.effects import SideEffectWarning

BACKENDS = ["python", "c"]


def _same_stream(fn, *args, backend="python", seed=0, calls=2):
    """fn compiled and eager give the same results from the same seed, call after call;
    consecutive calls differ (the numbers are not frozen)."""
    compiled = tr.compile(fn, backend=backend)
    np.random.seed(seed)
    want = [fn(*args) for _ in range(calls)]
    np.random.seed(seed)
    got = [compiled(*args) for _ in range(calls)]
    for g, w in zip(got, want):
        assert_same(g, w, rtol=0)
    assert not np.array_equal(np.asarray(got[0]), np.asarray(got[1]))


def _dropout(x, p):
    mask = np.random.rand(*x.shape) < p
    return x * mask / p


def _module_functions(x):
    a = np.random.randn(*x.shape) + np.random.uniform(-1.0, 2.0, size=x.shape)
    b = np.random.randint(0, 10, size=x.shape) * np.random.random()
    c = np.random.normal(x, 2.0) + np.random.uniform(x, x + 1.0)   # traced parameters
    return a + b + c + np.random.exponential(size=x.shape) + np.random.choice(x.ravel(), 3).sum()


def _permute(x):
    y = x.copy()
    np.random.shuffle(y)
    return np.random.permutation(y) + y


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("fn", [_module_functions, _permute], ids=lambda f: f.__name__)
def test_module_functions_draw_numpys_stream(fn, backend):
    _same_stream(fn, np.arange(12.0).reshape(3, 4), backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_dropout_draws_fresh_masks(backend):
    _same_stream(_dropout, np.ones((4, 5)), 0.5, backend=backend)


def test_seed_inside_the_function_is_replayed():
    def seeded(x):
        np.random.seed(7)
        return x + np.random.rand(*x.shape)
    f = tr.compile(seeded)
    x = np.zeros(3)
    np.random.seed(1)
    assert_same(f(x), seeded(x), rtol=0)
    np.random.rand(5)                          # move the stream: seed makes it irrelevant
    assert_same(f(x), seeded(x), rtol=0)


def test_unused_draws_still_advance_the_stream():
    def f(x):
        np.random.rand(100)                    # dead code, but numpy draws it
        return x + np.random.rand()
    _same_stream(f, np.zeros(2))


def test_python_scalar_draws_are_weak():
    f = tr.compile(lambda x: x * np.random.rand())
    assert f(np.ones(2, np.float32)).dtype == np.float32


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kind", ["generator", "randomstate"])
def test_generator_arguments(kind, backend):
    def make():
        return np.random.default_rng(3) if kind == "generator" else np.random.RandomState(3)

    def noisy(x, rng):
        return x + rng.normal(size=x.shape) + rng.normal(x, 2.0) + rng.uniform(0, x)

    x = np.arange(1.0, 7.0).reshape(2, 3)
    compiled = tr.compile(noisy, backend=backend)
    eager_rng, compiled_rng = make(), make()
    for _ in range(2):
        assert_same(compiled(x, compiled_rng), noisy(x, eager_rng), rtol=0)
    other = make()                              # a new generator: a new trace, its own stream
    assert_same(compiled(x, other), noisy(x, make()), rtol=0)


def test_generator_made_inside_the_function():
    def fixed_seed(x):
        return x + np.random.default_rng(0).standard_normal(x.shape, dtype=np.float32)
    f = tr.compile(fixed_seed)
    x = np.zeros(3, np.float32)
    assert_same(f(x), fixed_seed(x), rtol=0)
    assert_same(f(x), fixed_seed(x), rtol=0)

    fresh = tr.compile(lambda x: x + np.random.default_rng().random(x.shape))
    assert not np.array_equal(fresh(np.zeros(4)), fresh(np.zeros(4)))


def test_generator_in_a_closure_is_refused_not_frozen():
    rng = np.random.default_rng(0)

    def f(x):
        return x + rng.normal(size=x.shape)
    with pytest.raises(TypeError, match="generator 'rng'.*Pass the generator as an argument"):
        tr.compile(f)(np.zeros(3))


def test_a_library_drawing_from_the_global_state_is_refused():
    legacy_rand = np.random.mtrand._rand.rand      # reached behind np.random's names

    def f(x):
        return x + legacy_rand(3)
    with pytest.raises(TypeError, match="np.random's global state"):
        tr.compile(f)(np.zeros(3))


def test_gradient_of_dropout_uses_the_same_mask():
    def loss(w, x):
        mask = np.random.rand(*x.shape) < 0.5
        return np.sum((x * mask * w) ** 2)
    w, x = np.full((3, 4), 0.5), np.arange(12.0).reshape(3, 4)
    np.random.seed(4)
    value, grad = tr.value_and_grad(loss)(w, x)
    np.random.seed(4)
    mask = np.random.rand(3, 4) < 0.5
    assert value == loss_with(mask, w, x)
    np.testing.assert_array_equal(grad, 2 * (x * mask) ** 2 * w)


def loss_with(mask, w, x):
    return np.sum((x * mask * w) ** 2)


def test_vjp_of_a_drawing_function_is_refused():
    f = lambda x: np.sum(x * np.random.rand(3))  # noqa: E731
    _, vjp_fn = tr.vjp(f, np.ones(3))
    with pytest.raises(TypeError, match="draws random numbers"):
        vjp_fn(1.0)


def test_unsupported_traced_parameters_are_refused():
    with pytest.raises(TypeError, match="gamma with traced parameters is not supported"):
        tr.compile(lambda x: np.random.gamma(x))(np.ones(2))


def test_np_random_is_restored_and_other_threads_draw_normally():
    original = np.random.rand
    started, release = threading.Event(), threading.Event()
    seen = []

    def slow(x):
        started.set()
        release.wait(5)
        return x + np.random.rand(2)

    worker = threading.Thread(target=lambda: seen.append(tr.compile(slow)(np.zeros(2))))
    worker.start()
    started.wait(5)
    assert isinstance(np.random.rand(2), np.ndarray)   # patched, but this thread isn't tracing
    release.set()
    worker.join()
    assert np.random.rand is original and seen[0].shape == (2,)


def test_side_effects_warn_once():
    count = []

    def chatty(x):
        count.append(1)
        print("traced")
        return x * 2
    f = tr.compile(chatty)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        f(np.ones(2))
        f(np.ones(2))
        f(np.ones(3))
    assert [str(w.message).split(";")[0] for w in caught
            if w.category is SideEffectWarning] == ["tracer: test_side_effects_warn_once."
                                                    "<locals>.chatty calls print"]
    assert len(count) == 2                          # traced twice, called three times


GLOBAL_TOTAL = 0


def test_global_assignment_warns():
    def accumulate(x):
        global GLOBAL_TOTAL
        GLOBAL_TOTAL = GLOBAL_TOTAL + 1
        return x
    with pytest.warns(SideEffectWarning, match="assigns the variable 'GLOBAL_TOTAL'"):
        tr.compile(accumulate)(np.ones(2))


def test_draws_travel_with_a_pickled_function(tmp_path):
    f = tr.compile(_dropout)
    f(np.ones((2, 3)), 0.5)                       # traced here, shipped with its draws
    (tmp_path / "f.pkl").write_bytes(cloudpickle.dumps(f))
    child = ("import pickle, sys, numpy as np\n"
             "f = pickle.load(open(sys.argv[1], 'rb'))\n"
             "np.random.seed(11)\n"
             "out = [f(np.ones((2, 3)), 0.5) for _ in range(2)]\n"
             "pickle.dump((f.cache_size, out), open(sys.argv[2], 'wb'))\n")
    subprocess.run([sys.executable, "-c", child, str(tmp_path / "f.pkl"),
                    str(tmp_path / "out.pkl")], check=True, timeout=300)
    cached, got = pickle.loads((tmp_path / "out.pkl").read_bytes())
    np.random.seed(11)
    want = [_dropout(np.ones((2, 3)), 0.5) for _ in range(2)]
    assert cached == 1
    for g, w in zip(got, want):
        assert_same(g, w, rtol=0)
