"""A battery of ordinary numpy code, compiled unchanged and compared with numpy.

Each case is a function written the way people write numeric code; the test
compiles it with `tr.compile`, runs both, and checks values, dtype and shape
(tests/helpers.py), and that the compiled call left its inputs untouched.
"""
from __future__ import annotations

import copy
import math
from collections import namedtuple

import numpy as np
import pytest

import tracer as tr
from tests.helpers import assert_same, check_against_numpy

_rng = np.random.default_rng(1234)


def normal(*shape, dtype=np.float64):
    return np.asarray(_rng.standard_normal(shape)).astype(dtype)


def uniform(*shape, low=0.0, high=1.0):
    return _rng.uniform(low, high, shape)


def ints(*shape, low=-10, high=10, dtype=np.int64):
    return _rng.integers(low, high, shape).astype(dtype)


CASES = []


def case(*args, rtol=1e-7, atol=0.0, **options):
    """Register `fn` to run on `args`; `options` go to tr.compile."""
    def register(fn):
        CASES.append(pytest.param(fn, args, rtol, atol, options, id=fn.__name__))
        return fn
    return register


# --- activations, normalizations -------------------------------------------------


@case(normal(4, 7))
def softmax(x):
    z = x - x.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


@case(normal(3, 5) * 30)
def logsumexp(x):
    m = np.max(x, axis=1, keepdims=True)
    return np.squeeze(m, 1) + np.log(np.sum(np.exp(x - m), axis=1))


@case(normal(4, 8), normal(8), normal(8))
def layer_norm(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


@case(normal(2, 6, 8), normal(8))
def rms_norm(x, weight):
    rms = np.sqrt(np.mean(np.square(x), axis=-1, keepdims=True) + 1e-6)
    return x / rms * weight


@case(normal(5, 4))
def standardize(x):
    return (x - x.mean(axis=0)) / x.std(axis=0)


@case(normal(3, 11), rtol=1e-6)
def gelu_tanh(x):
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


@case(normal(20))
def leaky_relu(x, slope=0.01):
    return np.where(x > 0, x, slope * x)


@case(normal(20) * 40)
def softplus(x):
    return np.logaddexp(0.0, x)


@case(normal(10) * 10)
def stable_sigmoid(x):
    return np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x)))


@case(normal(4, 9) * 3)
def clipping(x):
    return np.clip(x, -1.0, 1.0), np.minimum(np.maximum(x, -2), 2)


# --- models and losses -------------------------------------------------------


@case(normal(2, 5, 8), normal(2, 7, 8), normal(2, 7, 3), rtol=1e-6)
def attention(q, k, v):
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    scores = scores - scores.max(axis=-1, keepdims=True)
    w = np.exp(scores)
    w /= w.sum(axis=-1, keepdims=True)
    return w @ v


_MLP = {"W1": normal(6, 16), "b1": normal(16), "W2": normal(16, 3), "b2": normal(3)}


@case(_MLP, normal(10, 6))
def mlp_dict_params(params, x):
    h = np.maximum(x @ params["W1"] + params["b1"], 0.0)
    return h @ params["W2"] + params["b2"]


@case([(normal(4, 5), normal(5)), (normal(5, 5), normal(5)), (normal(5, 2), normal(2))],
      normal(3, 4), rtol=1e-6)
def mlp_list_of_layers(layers, x):
    for i, (w, b) in enumerate(layers):
        x = x @ w + b
        if i < len(layers) - 1:
            x = np.tanh(x)
    return x


@case(normal(8, 5), _rng.integers(0, 5, 8))
def nll_fancy_indexing(logits, labels):
    logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    return -logp[np.arange(len(labels)), labels].mean()


@case(normal(6, 4) * 5, _rng.integers(0, 4, 6))
def cross_entropy_log_softmax(logits, y):
    m = logits.max(axis=-1, keepdims=True)
    log_softmax = logits - m - np.log(np.exp(logits - m).sum(axis=-1, keepdims=True))
    one_hot = (y[:, None] == np.arange(logits.shape[1])).astype(logits.dtype)
    return -(one_hot * log_softmax).sum() / logits.shape[0]


@case(normal(12), (normal(12) > 0).astype(np.float64))
def binary_cross_entropy_logits(z, y):
    return np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))


@case(normal(9), normal(9))
def huber_loss(pred, target, delta=1.0):
    r = np.abs(pred - target)
    return np.where(r < delta, 0.5 * r ** 2, delta * (r - 0.5 * delta)).sum()


@case(normal(7, 3), normal(3), normal(7))
def logistic_regression_grad(X, w, y):
    p = 1.0 / (1.0 + np.exp(-(X @ w)))
    return X.T @ (p - y) / X.shape[0]


@case(normal(10, 4), _rng.integers(0, 4, 10))
def argmax_accuracy(logits, labels):
    return np.mean(np.argmax(logits, axis=1) == labels)


@case(normal(5, 3), normal(3), uniform(3, low=0.5, high=2.0))
def gaussian_log_likelihood(x, mu, sigma):
    z = (x - mu) / sigma
    return np.sum(-0.5 * z ** 2 - np.log(sigma) - 0.5 * np.log(2 * np.pi), axis=0)


@case(uniform(4, 6, low=0.1), uniform(4, 6, low=0.1))
def kl_divergence(p, q):
    p = p / p.sum(axis=1, keepdims=True)
    q = q / q.sum(axis=1, keepdims=True)
    return np.sum(p * (np.log(p) - np.log(q)), axis=1)


@case({"w": normal(4), "b": normal()}, {"w": np.zeros(4), "b": np.zeros(())},
      {"w": np.zeros(4), "b": np.zeros(())}, {"w": normal(4), "b": normal()}, 3)
def adam_step(params, m, v, grads, t, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8):
    new_p, new_m, new_v = {}, {}, {}
    for k in params:
        new_m[k] = b1 * m[k] + (1 - b1) * grads[k]
        new_v[k] = b2 * v[k] + (1 - b2) * grads[k] ** 2
        m_hat = new_m[k] / (1 - b1 ** t)
        v_hat = new_v[k] / (1 - b2 ** t)
        new_p[k] = params[k] - lr * m_hat / (np.sqrt(v_hat) + eps)
    return new_p, new_m, new_v


@case(normal(6, 2, 3), normal(3, 4), normal(4, 4), np.zeros((2, 4)), rtol=1e-6)
def rnn_unrolled(xs, W, U, h0):
    h = h0
    outs = []
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ W + h @ U)
        outs.append(h)
    return np.stack(outs), h


@case(normal(12, 2), normal(3, 2))
def kmeans_step(x, centroids):
    d = ((x[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=-1)
    assign = np.argmin(d, axis=1)
    onehot = (assign[:, None] == np.arange(centroids.shape[0])[None, :]).astype(x.dtype)
    counts = onehot.sum(axis=0)
    return (onehot.T @ x) / np.maximum(counts, 1.0)[:, None], assign


# --- linear algebra and distances -------------------------------------------


@case(normal(5, 3), normal(4, 3))
def pairwise_sq_distances(x, y):
    diff = x[:, np.newaxis, :] - y[np.newaxis, :, :]
    return np.sum(diff ** 2, axis=-1)


@case(normal(6, 3), normal(4, 3), 0.5, rtol=1e-6)
def rbf_kernel(x, y, gamma):
    sq = (x ** 2).sum(1)[:, None] + (y ** 2).sum(1)[None, :] - 2 * x @ y.T
    return np.exp(-gamma * sq)


@case(normal(7, 4))
def gram_matrix(X):
    return X.T @ X, np.dot(X, X.T)


@case(normal(4, 5), normal(3, 5))
def cosine_similarity(a, b):
    an = a / np.sqrt((a * a).sum(axis=1, keepdims=True))
    bn = b / np.sqrt((b * b).sum(axis=1, keepdims=True))
    return an @ bn.T


@case(normal(3, 4, 5), normal(3, 5, 2), normal(5, 2))
def batched_matmul(a, b, w):
    return np.matmul(a, b), a @ w, np.einsum("bij,bjk->bik", a, b)


@case(normal(3, 4), normal(4, 5), normal(5))
def einsum_forms(a, b, v):
    return (np.einsum("ij,jk->ik", a, b), np.einsum("ij->j", a), np.einsum("j,j->", v, v),
            np.einsum("ij,j->i", b.T, a[0]))


@case(normal(4), normal(4), normal(3, 4))
def vector_products(u, v, M):
    return np.dot(u, v), u @ v, M @ u, np.outer(u, v), np.tensordot(M, u, axes=1)


@case(normal(5, 3))
def row_normalize_norm(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@case(normal(4, 4))
def diagonal_via_fancy_index(a):
    idx = np.arange(a.shape[0])
    return a[idx, idx].sum(), a[idx, idx[::-1]]


# --- polynomials, scans, differences -------------------------------------------


@case(normal(10), [1.0, -2.0, 0.5, 3.0])
def horner(x, coeffs):
    acc = np.zeros_like(x)
    for c in coeffs:
        acc = acc * x + c
    return acc


@case(normal(10))
def horner_constant_list(x):
    acc = 0.0
    for c in [0.5, -1.0, 2.0, 0.25]:
        acc = acc * x + c
    return acc


@case(normal(6))
def polynomial_features(x):
    return np.stack([x ** k for k in range(4)], axis=-1)


@case(normal(12))
def moving_average_cumsum(x, w=3):
    c = np.cumsum(np.concatenate([[0.0], x]))
    return (c[w:] - c[:-w]) / w


@case(normal(9), normal(3, 4))
def cumulative_sums(x, m):
    return np.cumsum(x), np.cumsum(m, axis=0), np.cumprod(m, axis=1), m.cumsum()


@case(uniform(8), 0.9)
def discounted_returns(r, gamma):
    return np.cumsum((gamma ** np.arange(r.shape[0]) * r)[::-1])[::-1]


@case(normal(11), 0.1)
def finite_differences(x, h):
    first = (x[1:] - x[:-1]) / h
    second = (x[2:] - 2 * x[1:-1] + x[:-2]) / h ** 2
    return first, second


@case(normal(15), normal(4))
def conv1d_valid(x, w):
    n, k = x.shape[0], w.shape[0]
    return sum(w[j] * x[j:n - k + 1 + j] for j in range(k))


@case(normal(4, 6))
def split_concatenate(x):
    a, b = np.split(x, 2, axis=1)
    top, bottom = x[:2], x[2:]
    return np.concatenate([b, a], axis=1), np.concatenate((bottom, top)), np.hstack([a, b])


@case(normal(3, 8))
def max_pool_reshape(x):
    return x.reshape(x.shape[0], -1, 2).max(axis=-1)


# --- statistics and reductions -----------------------------------------------


@case(normal(5, 6))
def var_with_ddof(x):
    return x.var(ddof=1), np.var(x, axis=0, ddof=1), np.std(x, axis=1, ddof=1, keepdims=True)


@case(normal(4, 5), (normal(4, 5) > 0))
def masked_mean_where(x, mask):
    total = np.where(mask, x, 0.0).sum(axis=1)
    count = mask.sum(axis=1)
    return total / np.maximum(count, 1)


@case(normal(4, 5))
def reductions_mixed(x):
    return (x.sum(), x.prod(axis=0), x.min(axis=1), np.max(x, axis=(0, 1)),
            x.argmin(axis=0), np.argmax(x), x.mean(axis=(0,), keepdims=True))


@case(normal(3, 4))
def any_all_counts(x):
    pos = x > 0
    return pos.any(), pos.all(axis=0), np.count_nonzero(pos), pos.sum(), (x > 10).any(axis=1)


@case(normal(6, 2), normal(6, 2))
def nearest_neighbour(a, b):
    d = ((a[:, None] - b[None]) ** 2).sum(-1)
    return np.argmin(d, axis=1), d.min(axis=1)


# --- dtypes: ints, bools, float32 -------------------------------------------------


@case(ints(10), ints(10, low=1, high=6))
def int_arithmetic(x, y):
    return (x * 3 + y) // 2 % 5, x - y * 7, abs(x), -x, x ** 2, x.sum(), x.mean()


@case(ints(12), np.array([3, -3, 5, -5, 7, -7, 2, -2, 1, -1, 4, -4]))
def int_floor_div_mod(x, d):
    return x // d, x % d, np.floor_divide(x, 3), np.remainder(x, -4), divmod(x, d)


@case(ints(8, dtype=np.int32), ints(8, dtype=np.int64))
def int32_promotion(a, b):
    return a + 1, a * 2, a + b, a / 2, a // 2, (a + 1.5), np.sqrt(np.abs(a))


@case(normal(4, 3, dtype=np.float32), normal(3, dtype=np.float32))
def float32_code(x, b):
    y = np.tanh(x * 2.0 + b) - 0.5
    return y, np.exp(y).sum(axis=0), y @ b, y.mean(), (y > 0).astype(np.float32) * 3


@case(_rng.integers(0, 256, (2, 3, 3)).astype(np.uint8))
def uint8_image_normalize(img):
    x = img.astype(np.float32) / 255.0
    return (x - 0.5) / 0.25, img.max(), img // 2


@case(normal(10), normal(10), normal(10) > 0, normal(10) > 0)
def boolean_logic(x, y, a, b):
    return ((x > 0) & ~(y < 0)) | np.logical_xor(a, b), np.logical_and(x > 0, a), ~a ^ b


@case(normal(3), None)
def optional_argument_none(x, mask):
    if mask is None:  # None is static structure: the Python `if` is fine
        mask = x > 0
    return np.where(mask, x, 0.0), x == None, x != None  # noqa: E711


@case(_rng.integers(0, 5, 7), 5, static_argnums=1)
def one_hot_comparison(labels, k):
    return (labels[:, None] == np.arange(k)[None, :]).astype(np.float64)


@case(normal(6))
def nan_inf_handling(x):
    y = np.log(x)  # NaN for negatives, -inf at 0
    return np.where(np.isnan(y), 0.0, y), np.isfinite(y).sum(), np.isinf(1 / (x * 0))


# --- arguments, pytrees, Python scalars ---------------------------------------


@case(normal(5), 2.5, 3)
def python_scalar_arguments(x, alpha, n):
    return alpha * x + n, x ** n, np.float32(1.5) * n


@case(normal(5, dtype=np.float32), 2.5, 3)
def python_scalars_stay_weak(x, alpha, n):
    return alpha * x + n, x / n, x * True


@case(normal(4, dtype=np.float32), 0.5, 3)
def weak_scalars_through_python_and_numpy(x, s, n):
    # Python arithmetic on Python scalars stays weak; numpy functions of them do not
    return x * (s * 2 - n), x * -s, x * np.exp(s), x + np.sqrt(s), x * np.maximum(n, 1)


Point = namedtuple("Point", ["x", "y"])


@case({"a": normal(3), "b": (normal(3), [normal(2), normal(2)])}, Point(normal(2), normal(2)))
def pytree_in_and_out(tree, point):
    a = tree["a"]
    b0, (c, d) = tree["b"]
    return {"sum": a + b0, "pair": (c * d, [c - d])}, Point(point.y, point.x), None


@case(normal(4, 3), 2, static_argnums=1)
def static_argnums_shape(x, n):
    return x.reshape(n, -1) * n


@case(normal(4, 3), 1, static_argnames="axis")
def static_argnames_axis(x, axis=0):
    return x.sum(axis=axis), np.flip(x, axis)


# --- updates, iteration, indexing --------------------------------------------------


@case(normal(4, 3), normal(3))
def setitem_updates(x, row):
    y = x.copy()
    y[0] = row
    y[:, 0] += 1
    y[1:3, 1:] = 0.0
    y[-1, -1] *= 2
    y[[0, 2], 2] = np.array([7.0, 8.0])
    return y


@case(normal(4, 5))
def setitem_traced_mask(x):
    y = x.copy()
    y[y < 0] = 0.0                      # ReLU the way numpy users write it
    y[y[:, 0] > 0.5] = np.arange(5.0)   # whole rows where a condition holds
    y[x > 10] = np.array([-1.0])       # no element selected: a no-op
    return y


@case(normal(3, 4))
def setitem_repeated_indices(x):
    y = x.copy()
    y[[0, 2, 0]] = np.array([[1.0], [2.0], [3.0]])  # numpy: the last write wins
    y[1, [3, 3]] = [5.0, 6.0]
    return y


@case(normal(4, 3, dtype=np.float32), 0.5)
def stack_with_python_scalar(x, s):
    parts = [x.sum(), x.max(), s]  # np.stack converts with np.asarray: s is float64
    return np.stack(parts), np.concatenate([x[0], [s]]), np.dot(x, 2.0)


@case(ints(3, 4, low=0, high=3), normal(3, 4) > 0)
def dtype_keyword_and_bool_products(a, m):
    return np.add(a, 1, dtype=np.float32), np.multiply(a, a, dtype=np.int8), m @ m.T, \
        np.dot(m[0], m[1])


@case(normal(5, 4))
def iterate_over_rows(x):
    acc = np.zeros(x.shape[1])
    for row in x:
        acc = acc + row * row
    return acc, [r.sum() for r in x]


@case(normal(4, 5, 6), _rng.integers(0, 6, 3))
def indexing_mixed(x, idx):
    return (x[..., 0], x[:, None, 1:4:2], x[::-1, ::2], x[1, :, idx], x[idx[:2] % 4, :, idx[1:]],
            x[:, [0, 2]], x[x.shape[0] - 1])


@case(normal(8), normal(3, 4))
def reverse_and_strided(x, m):
    return x[::-1], x[::2], x[-2::-3], m.T[::-1], m[:, ::-2].T


@case(normal(2, 3, 4))
def layout_changes(x):
    return (np.transpose(x, (2, 0, 1)), np.moveaxis(x, 0, -1), x.reshape(6, 4),
            np.expand_dims(x, 1).shape, np.squeeze(x[:, :1]), x.ravel(), x.T)


@case(normal(2, 3, 4), normal(4))
def static_facts_and_broadcasting(x, b):
    n, m, k = np.shape(x)
    xb, bb = np.broadcast_arrays(x, b)
    return (xb + bb) / (np.size(x) + np.ndim(b) + np.size(x, 1)), np.rollaxis(x, 2), \
        np.zeros(n * m, dtype=np.result_type(x, 1)), np.rollaxis(x, 0, -1)


@case(normal(4, 3), normal(3, 3))
def stacks(a, b):
    return np.stack([a[0], b[0]]), np.vstack([a, b]), np.stack([a.sum(), b.sum()])


@case(normal(3, 4))
def helper_functions(x):
    return (np.tile(x[0], 2), np.pad(x, 1), np.take(x, [0, 2], axis=1),
            np.repeat(x[:, 0], 2), np.diff(x, axis=1), np.zeros_like(x) + np.ones_like(x))


@case({"w": normal(3), "b": normal(3)}, normal(3) * 10)
def copies_and_builtins(params, x):
    import copy
    saved = copy.deepcopy(params)
    shallow = copy.copy(x)
    shallow[0] = 0.0  # a copy: x itself is unchanged
    return saved["w"] + x, shallow, abs(x), pow(x, 2), x


_CONST = normal(3)


@case(normal(2, 3))
def closure_constant(x):
    return x * _CONST + np.arange(3)


@tr.compile
def _inner_scale(x, s):
    return x * s


@case(normal(3), 2.0)
def nested_compile(x, s):
    return _inner_scale(x, s) + _inner_scale(x, 1.0)


@pytest.mark.parametrize("fn, args, rtol, atol, options", CASES)
def test_battery(fn, args, rtol, atol, options):
    originals = copy.deepcopy(args)
    check_against_numpy(fn, *copy.deepcopy(args), rtol=rtol, atol=atol, **options)
    passed = copy.deepcopy(args)
    compiled = tr.compile(fn, **options)
    compiled(*passed)
    assert_same(passed, originals)  # the compiled call did not modify its inputs


def test_battery_is_large():
    assert len(CASES) >= 40


def test_setitem_on_argument_leaves_caller_array_alone():
    def zero_first(x):
        x[0] = 0.0
        x[:, 1] += 5.0
        return x

    x = normal(3, 2)
    want = zero_first(x.copy())
    before = x.copy()
    got = tr.compile(zero_first)(x)
    assert_same(got, want)
    assert_same(x, before)
    assert got is not x


def test_outputs_are_fresh_writable_arrays():
    def f(x, y):
        s = x + y
        return x, s, s, x.T, np.broadcast_to(y, (2, 3)), 1.5

    x, y = normal(2, 3), normal(3)
    outs = tr.compile(f)(x, y)
    assert outs[0] is not x and outs[1] is not outs[2]
    for out in outs:
        assert isinstance(out, np.ndarray) and out.flags.writeable
        assert not np.shares_memory(out, x) and not np.shares_memory(out, y)
    assert not np.shares_memory(outs[1], outs[2])


def test_power_by_two_is_a_product_and_matches_numpy(rng):
    import tracer as tr
    from tests.helpers import check_against_numpy

    x = np.array([-np.inf, -0.0, 3.0, np.nan, -2.5, 1e200])
    check_against_numpy(lambda a: a ** 2.0, x)
    check_against_numpy(lambda a: np.power(a, 2), x[:-1].astype(np.float32))
    check_against_numpy(lambda a: a ** 2, np.array([3, -7, 2**40], dtype=np.int64))
    check_against_numpy(lambda a: a ** 3.0, x)
    assert tr.compile(lambda a: a ** 2.0).lower(x).ops() == ["mul"]


def test_lists_of_traced_values_promote_like_numpy():
    from tests.helpers import check_against_numpy

    x = np.arange(3, dtype=np.float32)
    check_against_numpy(lambda a: np.concatenate([a, [a[0], a[1] * 2]]), x)
    check_against_numpy(lambda a: np.concatenate([a.astype(np.int32), [a.sum()]]), x)
