"""The scan rewrites (tracer/graph_opt/scan.py, scan_motion.py): each rewrite's graph
before and after, and values equal to the unoptimized graph's on the reference and C
backends. Rewrites that turn a per-step sum into one product (seq_dots, sum_dots)
change the order of float additions: those values are compared with a tolerance."""
from __future__ import annotations

import os
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest

import tracer as tr
from tracer.backends import compile_for
from tracer.graph_opt import optimize
from tracer.graph_opt.scan import fixed, last_only, merge, optimize_bodies, prune, rewrite_loops
from tracer.graph_opt.scan_motion import constants, invariants, seq_dots, stored, sum_dots
from tracer.ir import Graph, Node, Op, verify

from ..backends.c.support import needs_cc

BACKENDS = ["python", pytest.param("c", marks=needs_cc)]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXACT = 1e-15


def traced(fn, *args, **options) -> Graph:
    """fn's graph as traced, before the optimizer."""
    tr.config.optimize = False
    try:
        return tr.compile(fn, **options).lower(*args).graph
    finally:
        tr.config.optimize = True


def scans(graph: Graph) -> list[Node]:
    return [n for n in graph.nodes() if n.op is Op.SCAN]


def only_scan(graph: Graph) -> Node:
    (scan,) = scans(graph)
    return scan


def body_ops(scan: Node) -> list[str]:
    return scan.attrs["spec"].body.ops()


def outer_ops(graph: Graph) -> list[str]:
    return graph.ops()


def check_values(before: Graph, after: Graph, args, backend: str, rtol: float = EXACT):
    """`after` on `backend` computes what `before` computes on the reference backend."""
    verify(after)
    flat = [np.asarray(a) for a in args]
    want = compile_for("python", before)(flat)
    got = compile_for(backend, after)(flat)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol * max(1.0, np.max(np.abs(w))))


def _rng(seed=0):
    return np.random.default_rng(seed)


# -- prune -------------------------------------------------------------------------------------
def _two_outputs(xs, h0, W, V):
    hs, ys = tr.scan(lambda x, h, W, V: (np.tanh(x @ W + h), np.exp(h) @ V), sequences=[xs],
                     outputs_info=[h0, None], non_sequences=[W, V])
    return hs


@pytest.mark.parametrize("backend", BACKENDS)
def test_prune_drops_an_unread_output_its_work_and_its_input(backend):
    r = _rng()
    args = (r.normal(size=(5, 3)), r.normal(size=3), r.normal(size=(3, 3)), r.normal(size=(3, 2)))
    before = traced(_two_outputs, *args)
    after = rewrite_loops(before, [prune])
    old, new = only_scan(before), only_scan(after)
    assert "exp" in body_ops(old) and old.attrs["spec"].n_outs == 1 and len(old.inputs) == 4
    assert "exp" not in body_ops(new) and new.attrs["spec"].n_outs == 0
    assert args[3].shape not in [i.shape for i in new.inputs] and len(new.inputs) == 3
    check_values(before, after, args, backend)


def _states(x0, xs):
    # a is read; c is not, but a needs it; b is read by nobody
    a, b, c = tr.scan(lambda x, a, b, c: (a + c * x, b * 2.0 + np.sin(x), c * 0.5),
                      sequences=[xs], outputs_info=[x0, x0, x0])
    return a


@pytest.mark.parametrize("backend", BACKENDS)
def test_prune_drops_a_state_nothing_needs_and_keeps_one_a_live_state_reads(backend):
    args = (np.array(1.5), np.linspace(-1, 1, 7))
    before = traced(_states, *args)
    after = rewrite_loops(before, [prune])
    assert len(only_scan(before).attrs["spec"].taps) == 3
    new = only_scan(after)
    assert len(new.attrs["spec"].taps) == 2 and "sin" not in body_ops(new)
    check_values(before, after, args, backend)


def _same_sequence_twice(xs):
    return tr.scan(lambda x, y, s: s + x * y, sequences=[xs, xs], outputs_info=0.0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_prune_reads_a_sequence_given_twice_once(backend):
    args = (np.linspace(0, 1, 6),)
    before = traced(_same_sequence_twice, *args)
    after = rewrite_loops(before, [prune])
    assert only_scan(before).attrs["spec"].n_seqs == 2
    assert only_scan(after).attrs["spec"].n_seqs == 1
    check_values(before, after, args, backend)


def _until_two_outputs(x):
    v, w = tr.scan(lambda v, w: (v * 2.0, w + np.cos(v), tr.until(v * 2.0 > 50.0)),
                   outputs_info=[x, x], n_steps=10)
    return v


@pytest.mark.parametrize("backend", BACKENDS)
def test_prune_keeps_the_stop_condition(backend):
    before = traced(_until_two_outputs, np.array(1.0))
    after = rewrite_loops(before, [prune])
    spec = only_scan(after).attrs["spec"]
    assert spec.until and spec.n_states == 1 and "cos" not in body_ops(only_scan(after))
    check_values(before, after, (np.array(1.0),), backend)


def _carried_constant(xs, c0, h0):
    h, c = tr.scan(lambda x, h, c: (h * c + x, c), sequences=[xs], outputs_info=[h0, c0])
    return h, c


@pytest.mark.parametrize("backend", BACKENDS)
def test_fixed_a_state_that_never_changes_becomes_a_non_sequence(backend):
    args = (np.linspace(0, 1, 5), np.array(0.5), np.array(1.0))
    before = traced(_carried_constant, *args)
    after = rewrite_loops(before, [fixed])
    assert only_scan(before).attrs["spec"].n_states == 2
    spec = only_scan(after).attrs["spec"]
    assert spec.n_states == 1 and len(only_scan(after).inputs) == 3     # h0, xs, c0
    check_values(before, after, args, backend)


# -- last_only ---------------------------------------------------------------------------------
def _last(h0, n):
    return tr.scan(lambda h: np.tanh(h) * 1.5 + 0.1, outputs_info=h0, n_steps=n)[-1]


def _last_backwards(xs, h0):
    hs = tr.scan(lambda x, h: np.tanh(h + x), sequences=[xs], outputs_info=h0,
                 go_backwards=True)
    return hs[-1][1:], hs[-1, 0]          # through the reversing slice, then slices of the row


@pytest.mark.parametrize("backend", BACKENDS)
def test_last_only_keeps_the_last_value_of_a_stack_read_only_at_its_end(backend):
    args = (np.linspace(-1, 1, 4), 9)
    before = traced(_last, *args, static_argnums=1)
    after = optimize(rewrite_loops(before, [last_only]))
    assert only_scan(before).attrs["spec"].keep == (True,)
    assert only_scan(after).attrs["spec"].keep == (False,)
    assert "slice" not in outer_ops(after)
    check_values(before, after, args[:1], backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_last_only_going_backwards_reads_row_zero_through_slices(backend):
    args = (np.linspace(-1, 1, 12).reshape(6, 2), np.array([0.5, -0.5]))
    before = traced(_last_backwards, *args)
    after = rewrite_loops(before, [last_only])
    assert only_scan(after).attrs["spec"].keep == (False,)
    check_values(before, after, args, backend)


def test_last_only_leaves_a_stack_read_elsewhere():
    def f(h0):
        hs = tr.scan(lambda h: h * 0.5, outputs_info=h0, n_steps=4)
        return hs[-1] + hs[0]
    graph = traced(f, np.ones(2))
    assert rewrite_loops(graph, [last_only]) is graph


# -- merge -------------------------------------------------------------------------------------
def _rnn_step(x, h, W, U):
    return np.tanh(x @ W + h @ U)


def _rnn_args(T=6, D=3, H=4, B=None, seed=0):
    r = _rng(seed)
    lead = () if B is None else (B,)
    return (r.normal(size=(D, H)) * 0.5, r.normal(size=(H, H)) * 0.5, r.normal(size=lead + (H,)),
            r.normal(size=(T,) + lead + (D,)))


def _rnn_loss(W, U, h0, xs):
    hs = tr.scan(_rnn_step, sequences=[xs], outputs_info=h0, non_sequences=[W, U])
    return np.sum(hs ** 2) + np.sum(np.sin(hs[-1]))


def _rnn_last(W, U, h0, xs):
    """An RNN written with fori_loop: the forward loop keeps only its last state, so the
    gradient builds a keep-all twin of it."""
    h = tr.fori_loop(0, xs.shape[0], lambda t, h: _rnn_step(xs[t], h, W, U), h0)
    return np.sum(np.sin(h))


def _rnn_numpy(W, U, h0, xs):
    h, hs = h0, []
    for x in xs:
        h = np.tanh(x @ W + h @ U)
        hs.append(h)
    hs = np.stack(hs)
    return np.sum(hs ** 2) + np.sum(np.sin(hs[-1]))


def _forward_loops(graph: Graph) -> list[Node]:
    return [s for s in scans(graph) if not s.attrs["spec"].reverse]


@pytest.mark.parametrize("backend", BACKENDS)
def test_merge_the_keep_all_twin_into_the_forward_loop(backend):
    args = _rnn_args()
    before = traced(tr.grad(_rnn_last, argnums=(0, 1)), *args)
    after = rewrite_loops(before, [merge])
    fwd = _forward_loops(before)
    assert len(fwd) == 2 and {s.attrs["spec"].keep for s in fwd} == {(True,), (False,)}
    assert fwd[0].attrs["spec"].body is fwd[1].attrs["spec"].body   # the same loop twice
    assert [s.attrs["spec"].keep for s in _forward_loops(after)] == [(True,)]
    check_values(before, after, args, backend)


def _jvp_of_rnn(W, U, h0, xs, dU):
    f = lambda U: _rnn_loss(W, U, h0, xs)  # noqa: E731
    return tr.jvp(f, (U,), (dU,))


@pytest.mark.parametrize("backend", BACKENDS)
def test_merge_the_jvp_loop_with_the_primal_loop_it_repeats(backend):
    args = _rnn_args() + (_rng(1).normal(size=(4, 4)),)
    before = traced(_jvp_of_rnn, *args)
    after = rewrite_loops(before, [merge])
    assert len(scans(before)) == 2 and len(scans(after)) == 1
    primal, jvp = sorted(scans(before), key=lambda s: len(s.inputs))
    assert primal.attrs["spec"].n_states == 1 and jvp.attrs["spec"].n_states == 2
    assert only_scan(after).attrs["spec"].n_states == 2     # the primal state once
    check_values(before, after, args, backend)


def _two_loops_one_sequence(xs, a0):
    s = tr.scan(lambda x, s: s + np.sin(x), sequences=[xs], outputs_info=a0)
    p = tr.scan(lambda x, p: p * np.cos(x), sequences=[xs], outputs_info=a0)
    later = tr.scan(lambda x, q: q + x, sequences=[s], outputs_info=a0)  # reads s: stays apart
    other = tr.scan(lambda q: q * 2.0, outputs_info=a0, n_steps=3)      # shares nothing
    return s, p, later, other


@pytest.mark.parametrize("backend", BACKENDS)
def test_merge_loops_over_the_same_sequence_but_not_one_that_reads_the_other(backend):
    args = (np.linspace(0.1, 1.0, 5), np.array(0.5))
    before = traced(_two_loops_one_sequence, *args)
    after = rewrite_loops(before, [merge])
    assert len(scans(before)) == 4 and len(scans(after)) == 3
    merged = max(scans(after), key=lambda s: s.attrs["spec"].n_states)
    assert merged.attrs["spec"].n_states == 2 and merged.attrs["spec"].n_seqs == 1
    check_values(before, after, args, backend)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("loss", [_rnn_loss, _rnn_last])
def test_grad_and_hvp_of_an_rnn_run_one_forward_loop(loss, backend):
    args = _rnn_args()
    v = tuple(_rng(3).normal(size=a.shape) for a in args)
    grad = tr.grad(loss, argnums=(0, 1, 2, 3))

    def hvp(*args):
        return tr.hvp(loss, args, v)
    for fn in (grad, hvp):
        before = traced(fn, *args)
        lowered = tr.compile(fn, backend=backend).lower(*args)
        # unoptimized: the JVP's loop repeats the primal one; fori_loop's grad adds a twin
        assert len(_forward_loops(before)) >= 2 or (fn is grad and loss is _rnn_loss)
        assert len(_forward_loops(lowered.graph)) == 1
        assert lowered.ops().count("scan") == 2              # one forward, one backward
        check_values(before, lowered.graph, args, backend, rtol=1e-12)
    want = [tr.compile(grad, backend="python")(*args)]
    tr.config.optimize = False
    try:
        want.append(tr.compile(grad, backend="python")(*args))
    finally:
        tr.config.optimize = True
    for got, plain in zip(*want):
        np.testing.assert_allclose(got, plain, rtol=1e-12, atol=1e-14)


def test_rnn_gradient_equals_hand_written_bptt():
    W, U, h0, xs = _rnn_args(T=7, D=3, H=5, B=2)
    hs, h = [], h0
    for x in xs:
        h = np.tanh(x @ W + h @ U)
        hs.append(h)
    gW, gU, gh, dh = np.zeros_like(W), np.zeros_like(U), None, np.cos(hs[-1])
    for t in reversed(range(len(xs))):
        dh = dh + 2 * hs[t]
        dpre = dh * (1 - hs[t] ** 2)
        gW += xs[t].T @ dpre
        gU += (hs[t - 1] if t else h0).T @ dpre
        dh = dpre @ U.T
    gh = dh
    for backend in ("python", "c"):
        got = tr.compile(tr.grad(_rnn_loss, argnums=(0, 1, 2)), backend=backend)(W, U, h0, xs)
        for g, w in zip(got, (gW, gU, gh)):
            np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-13)


# -- invariants, seq_dots, sum_dots ------------------------------------------------------------
def _square_inside(xs, h0, W):
    return tr.scan(lambda x, h, W: np.tanh(h @ (W @ W) + x), sequences=[xs], outputs_info=h0,
                   non_sequences=[W])


@pytest.mark.parametrize("backend", BACKENDS)
def test_invariants_move_work_on_non_sequences_before_the_loop(backend):
    r = _rng()
    args = (r.normal(size=(5, 3)), r.normal(size=3), r.normal(size=(3, 3)) * 0.5)
    before = traced(_square_inside, *args)
    after = rewrite_loops(before, [invariants])
    assert body_ops(only_scan(before)).count("dot_general") == 2
    assert "dot_general" not in outer_ops(before)
    assert body_ops(only_scan(after)).count("dot_general") == 1
    assert outer_ops(after).count("dot_general") == 1
    check_values(before, after, args, backend)


def _row_on_both_sides(xs, h0, W, V):
    return tr.scan(lambda x, h, W, V: np.tanh(x @ W + V @ x + h), sequences=[xs],
                   outputs_info=h0, non_sequences=[W, V])


@pytest.mark.parametrize("backend", BACKENDS)
def test_seq_dots_make_one_product_of_the_whole_sequence(backend):
    r = _rng()
    args = (r.normal(size=(6, 4)), r.normal(size=4), r.normal(size=(4, 4)), r.normal(size=(4, 4)))
    before = traced(_row_on_both_sides, *args)
    after = rewrite_loops(before, [seq_dots])
    assert body_ops(only_scan(before)).count("dot_general") == 2
    assert "dot_general" not in body_ops(only_scan(after))
    products = [n for n in after.nodes() if n.op is Op.DOT_GENERAL]
    assert len(products) == 2 and all(6 in p.shape for p in products)
    assert "transpose" in outer_ops(after)         # V @ x_t: the steps axis moved first
    check_values(before, after, args, backend, rtol=1e-13)


def _outer_sum(A0, xs, ys):
    As = tr.scan(lambda x, y, A: A + x[:, None] @ y[None, :], sequences=[xs, ys],
                 outputs_info=A0)
    return As[-1]


@pytest.mark.parametrize("backend", BACKENDS)
def test_sum_dots_make_a_carried_sum_of_products_one_product_after_the_loop(backend):
    r = _rng()
    args = (r.normal(size=(3, 2)), r.normal(size=(50, 3)), r.normal(size=(50, 2)))
    before = traced(_outer_sum, *args)
    after = rewrite_loops(before, [last_only, sum_dots, prune])
    assert len(scans(before)) == 1 and not scans(after)       # no loop left at all
    (product,) = [n for n in after.nodes() if n.op is Op.DOT_GENERAL]
    assert product.attrs["contract"] == ((0, 2), (0, 1))      # the steps contracted too
    check_values(before, after, args, backend, rtol=1e-13)


@pytest.mark.parametrize("backend", BACKENDS)
def test_sum_dots_take_the_weight_gradient_sums_out_of_backpropagation(backend):
    args = _rnn_args(T=8, B=3)
    before = traced(tr.grad(_rnn_loss, argnums=(0, 1)), *args)
    after = rewrite_loops(before, [prune, sum_dots])
    back = lambda g: [s for s in scans(g) if s.attrs["spec"].reverse][0]  # noqa: E731
    names = lambda s: [p.attrs["name"] for p in s.attrs["spec"].body.inputs]  # noqa: E731
    assert names(back(before)).count("ct_sum") == 2
    assert names(back(after)).count("ct_sum") == 0
    check_values(before, after, args, backend, rtol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_rnn_gradient_loops_after_every_rewrite(backend):
    """Forward: the whole x_t @ W is one product before the loop; backward: it reads the
    forward's stacked h_t instead of recomputing the step, and both weight gradients are
    one product each after it. Per step remain h @ U forward, ct @ U.T (and the input's
    ct @ W.T) backward."""
    args = _rnn_args(T=8, B=3)
    before = traced(tr.grad(_rnn_loss, argnums=(0, 1, 2, 3)), *args)
    after = optimize(before)
    fwd, back = sorted(scans(after), key=lambda s: s.attrs["spec"].reverse)
    for loop in (fwd, back):
        products = [n for n in loop.attrs["spec"].body.nodes()
                    if n.op in (Op.DOT_GENERAL, Op.GEMM_ACC)]
        assert len(products) == (1 if loop is fwd else 2)     # back: ct @ U.T, ct @ W.T
    check_values(before, after, args, backend, rtol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_stored_rows_replace_the_forward_step_the_backward_loop_recomputes(backend):
    args = _rnn_args(T=8, B=3)
    before = traced(tr.grad(_rnn_loss, argnums=(0, 1, 2, 3)), *args)
    after = rewrite_loops(before, [stored])
    back = lambda g: [s for s in scans(g) if s.attrs["spec"].reverse][0]  # noqa: E731
    fwd = _forward_loops(after)[0]
    assert "tanh" in body_ops(back(before)) and "tanh" not in body_ops(back(after))
    assert body_ops(back(after)).count("dot_general") == body_ops(back(before)).count(
        "dot_general") - 2                  # x_t @ W and h_{t-1} @ U no longer recomputed
    assert any(i.op is Op.SCAN_OUT and i.inputs[0] is fwd for i in back(after).inputs)
    check_values(before, after, args, backend, rtol=1e-14)


# -- loop bodies -------------------------------------------------------------------------------
def _squares(xs, h0, W):
    return tr.scan(lambda x, h, W: (h @ W) ** 2 * 0.1 + x, sequences=[xs], outputs_info=h0,
                   non_sequences=[W])


@pytest.mark.parametrize("backend", BACKENDS)
def test_loop_bodies_are_optimized_like_any_graph(backend):
    r = _rng()
    args = (r.normal(size=(5, 3)), r.normal(size=3), r.normal(size=(3, 3)))
    before = traced(_squares, *args)
    after = optimize_bodies(rewrite_loops(before, [constants]), optimize)
    assert "pow" in body_ops(only_scan(before)) and len(only_scan(before).inputs) == 5
    assert len(only_scan(after).inputs) == 3               # the broadcast constants inlined
    assert "pow" not in body_ops(only_scan(after)) and "mul" in body_ops(only_scan(after))
    check_values(before, after, args, backend)


def _nested(xs, h0, W):
    def outer_step(x, h, W):
        inner = tr.scan(lambda g, x, W: np.tanh(g @ W + x), outputs_info=h,
                        non_sequences=[x, W], n_steps=3)
        return inner[-1] ** 2
    return tr.scan(outer_step, sequences=[xs], outputs_info=h0, non_sequences=[W])


@pytest.mark.parametrize("backend", BACKENDS)
def test_nested_loops_are_rewritten_inside_the_body(backend):
    r = _rng()
    args = (r.normal(size=(4, 3)), r.normal(size=3), r.normal(size=(3, 3)) * 0.5)
    before = traced(_nested, *args)
    after = optimize(before)
    (inner,) = scans(only_scan(after).attrs["spec"].body)
    assert inner.attrs["spec"].keep == (False,)              # only its last state is read
    assert "pow" not in body_ops(only_scan(after))
    check_values(before, after, args, backend, rtol=1e-14)


# -- memory of a loop whose last state alone is read ---------------------------------------------
def _last_state(h0, n):
    return tr.scan(lambda h: np.tanh(h) * 1.5 + 0.1, outputs_info=h0, n_steps=n)[-1]


def _peak_bytes(f, *args) -> int:
    f(*args)                              # built and run once before measuring
    tracemalloc.start()
    try:
        f(*args)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_last_state_loop_memory_is_flat_in_steps_on_the_reference_backend():
    h0 = np.linspace(-1, 1, 100)           # a stack of it: 800 bytes a step
    f = tr.compile(_last_state, static_argnums=1, backend="python")
    small, big = _peak_bytes(f, h0, 1000), _peak_bytes(f, h0, 10_000)
    assert big < 100_000 and big < 2 * small + 20_000, (small, big)
    tr.config.optimize = False
    try:                                  # the measure sees a stack when there is one
        plain = _peak_bytes(tr.compile(_last_state, static_argnums=1, backend="python"),
                            h0, 1000)
    finally:
        tr.config.optimize = True
    assert plain > 800 * 1000


_RSS_SCRIPT = """
import numpy as np
import tracer as tr
from tests.graph_opt.test_scan_rewrites import _last_state

def status(key):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(key))

f = tr.compile(_last_state, static_argnums=1, backend="c")
h0 = np.linspace(-1, 1, 100)
for n in (10_000, 100_000):                 # built, loaded and run once before measuring
    f(h0, n)
with open("/proc/self/clear_refs", "w") as refs:
    refs.write("5")                         # the peak (VmHWM) starts again from here
before = status("VmRSS:")
out = f(h0, 100_000)
print(status("VmHWM:") - before, float(out.sum()))
"""


def _rss_growth_kib(optimize: str) -> int:
    """How much a run of 10^5 steps raises the peak resident memory of a process that
    already ran it once (Linux's VmHWM, reset just before), in KiB."""
    env = dict(os.environ, TRACER_OPTIMIZE=optimize, TRACER_BACKGROUND_COMPILE="0")
    done = subprocess.run([sys.executable, "-c", _RSS_SCRIPT], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stderr
    return int(done.stdout.split()[0])


@needs_cc
def test_last_state_loop_of_1e5_steps_keeps_its_peak_memory_on_the_c_backend():
    """The peak resident memory of 10^5 steps: flat (a stack of the state would be 80 MB;
    with the optimizer off it is there, and the measure shows it)."""
    assert _rss_growth_kib("1") < 8 * 1024
    assert _rss_growth_kib("0") > 60 * 1024


# -- random loops: every rewrite together, against the unoptimized graph --------------------------
def _random_program(seed: int):
    """Two loops over one sequence (taps, reverse, an unread output, a last row read, a
    sum of products), and a loss of what they give; the choices drawn from `seed`."""
    r = np.random.default_rng(seed)
    back, two_taps, last_a, read_y, second = (bool(b) for b in r.integers(0, 2, 5))

    def step(x, a, b1, b2, W):
        a_new = np.tanh(a @ W + x * (0.5 if back else 1.5))
        b_new = b1 * 0.3 + np.sin(b2 + x) if two_taps else b2 * 0.7 + x @ W
        return a_new, b_new, np.cos(a_new) * x

    def step1(x, a, b2, W):
        return step(x, a, None, b2, W)

    def f(xs, a0, b0, W):
        info_b = dict(initial=b0, taps=[-2, -1]) if two_taps else b0[-1]
        a, b, y = tr.scan(step if two_taps else step1, sequences=[xs],
                          outputs_info=[a0, info_b, None], non_sequences=[W], go_backwards=back)
        loss = np.sum(a[-1] ** 2) if last_a else np.sum(a * a[::-1])
        loss = loss + np.sum(b[-1]) + (np.sum(y[-1]) if read_y else 0.0)
        if second:
            s = tr.scan(lambda x, s, W: s + x[:, None] @ np.tanh(x @ W)[None, :], sequences=[xs],
                        outputs_info=np.zeros((3, 3)), non_sequences=[W])
            loss = loss + np.sum(s[-1] ** 2)
        return loss
    args = (r.normal(size=(6, 3)), r.normal(size=3), r.normal(size=(2, 3)),
            r.normal(size=(3, 3)) * 0.5)
    return f, args


@pytest.mark.parametrize("seed,backend", [(s, "python") for s in range(8)] + [
    pytest.param(s, "c", marks=needs_cc) for s in range(2)])
def test_random_loops_value_and_gradient_are_unchanged(seed, backend):
    f, args = _random_program(seed)
    for fn in (f, tr.grad(f, argnums=(0, 1, 2, 3))):
        before = traced(fn, *args)
        after = optimize(before)
        assert len(scans(after)) <= len(scans(before))
        check_values(before, after, args, backend, rtol=1e-12)
