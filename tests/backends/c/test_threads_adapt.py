"""Each executable runs on the threads it may use or on one, whichever it measured faster.

The entry keeps its call count and the two moving averages (seconds, as doubles) in
the first slots of its table (prelude.py, tr_threads_pick). These tests set the
averages by hand and read which one the following calls updated: the arm that ran.
"""
from __future__ import annotations

import numpy as np
import pytest

from tracer.backends.c import compile_graph, get_num_threads, set_num_threads
from tracer.backends.c.render_module import ADAPT_SLOTS
from tracer.ir import Op, make_node

from .support import graph, params

N = 300_000         # above the size where kernels go parallel


@pytest.fixture
def exe():
    (p,) = params(("float64", (N,)))
    return compile_graph(graph([p], [make_node(Op.TANH, [p])]))


@pytest.fixture
def two_threads(monkeypatch):
    monkeypatch.delenv("TRACER_ADAPT_THREADS", raising=False)
    old = get_num_threads()
    set_num_threads(2)
    yield
    set_num_threads(old)


def _state(exe) -> tuple[int, float, float]:
    slots = exe._table[:ADAPT_SLOTS]
    serial, parallel = slots[1:3].view(np.float64)
    return int(slots[0]), float(serial), float(parallel)


def _set(exe, calls: int, serial: float, parallel: float) -> None:
    exe._table[0] = calls
    exe._table[1:3] = np.array([serial, parallel]).view(np.int64)


def test_both_arms_are_timed_twice_after_a_warm_up_call(exe, two_threads):
    x = np.linspace(-3, 3, N)
    exe([x])
    assert _state(exe) == (1, 0.0, 0.0)         # the first call is not timed
    for _ in range(6):
        np.testing.assert_array_equal(exe([x])[0], np.tanh(x))
    calls, serial, parallel = _state(exe)
    assert calls == 7 and serial > 0 and parallel > 0


@pytest.mark.parametrize("faster", ["serial", "parallel"])
def test_calls_run_the_faster_arm(exe, two_threads, faster):
    x = np.linspace(-3, 3, N)
    fast, slow = 1e-9, 10.0     # the slow arm's average only changes if that arm runs
    _set(exe, 10, fast if faster == "serial" else slow, fast if faster == "parallel" else slow)
    for _ in range(20):
        exe([x])
    calls, serial, parallel = _state(exe)
    assert calls == 30
    assert (parallel if faster == "serial" else serial) == slow
    assert (serial if faster == "serial" else parallel) > fast     # timed: real seconds


def test_the_slower_arm_is_tried_again(exe, two_threads):
    """At a 10^10 ratio the slower arm is tried every 256th call; its average is then
    replaced by that call's time, so a machine that became quiet is seen at once."""
    x = np.linspace(-3, 3, N)
    _set(exe, 256, 1e-9, 10.0)
    exe([x])
    _, serial, parallel = _state(exe)
    assert serial == 1e-9 and 0 < parallel < 10.0


def test_a_fixed_count_is_not_adapted(exe, monkeypatch):
    monkeypatch.setenv("TRACER_ADAPT_THREADS", "0")
    old = get_num_threads()
    try:
        set_num_threads(2)
        assert get_num_threads() == 2
        x = np.linspace(-3, 3, N)
        for _ in range(5):
            np.testing.assert_array_equal(exe([x])[0], np.tanh(x))
        set_num_threads(1)
        exe([x])
    finally:
        monkeypatch.delenv("TRACER_ADAPT_THREADS")
        set_num_threads(old)
    assert _state(exe) == (0, 0.0, 0.0)


def test_one_thread_is_not_adapted(exe, two_threads):
    set_num_threads(1)
    exe([np.ones(N)])
    assert _state(exe) == (0, 0.0, 0.0)


def test_graphs_too_small_for_threads_are_not_timed(two_threads):
    """Nothing under TR_PAR elements starts threads: such calls skip the clock (60 ns)."""
    (p,) = params(("float64", (1000,)))
    small = compile_graph(graph([p], [make_node(Op.TANH, [p])]))
    small([np.ones(1000)])
    small([np.ones(1000)])
    assert _state(small) == (0, 0.0, 0.0)


def test_a_product_large_enough_for_threads_is_timed(two_threads):
    a, b = params(("float64", (128, 128)), ("float64", (128, 128)))
    dot = make_node(Op.DOT_GENERAL, [a, b], {"contract": ((1,), (0,)), "batch": ((), ())})
    exe = compile_graph(graph([a, b], [dot]))
    m = np.random.default_rng(0).random((128, 128))
    for _ in range(3):
        np.testing.assert_allclose(exe([m, m])[0], m @ m, rtol=1e-12)
    assert _state(exe)[0] == 3
