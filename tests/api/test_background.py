"""Never waiting on the compiler: the first calls run on numpy while C builds behind them."""
from __future__ import annotations

import shutil
import time
import warnings

import numpy as np
import pytest

import tracer as tr
from tracer.backends.c import BackgroundCompileWarning, flags, pycall
from tracer.backends.c.compiler import find_compiler
from tracer.vm import NativeExecutable

pytestmark = [pytest.mark.needs_cc,
              pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler (cc)")]


def _f(x, y):
    # ops whose C code rounds as numpy does: the two paths agree bit for bit
    z = x * y + x
    return np.sqrt(np.abs(z)) - np.maximum(z, 0.5), z.max(axis=0)


@pytest.fixture
def background(monkeypatch):
    """Background compiles on; the call helper already loaded (built with the real cc)."""
    pycall.maker(find_compiler(), flags())
    monkeypatch.setattr(tr.config, "background_compile", True)


def _gated_cc(tmp_path, monkeypatch, script: str) -> str:
    """$CC: a wrapper of cc running `script` first (--version passes straight through)."""
    cc = tmp_path / "gated-cc"
    cc.write_text('#!/bin/sh\n'
                  'if [ "$1" = --version ]; then exec cc "$@"; fi\n'
                  f'{script}\n'
                  'exec cc "$@"\n')
    cc.chmod(0o755)
    monkeypatch.setenv("CC", str(cc))
    return str(cc)


def _wait_done(lowered, seconds=300.0):
    deadline = time.monotonic() + seconds
    while lowered._pending is not None and not lowered._pending.done:
        assert time.monotonic() < deadline, "the background compile did not finish"
        time.sleep(0.02)


def test_first_result_comes_before_the_compiler_finishes(background, tmp_path, monkeypatch,
                                                         rng):
    gate = tmp_path / "open"
    _gated_cc(tmp_path, monkeypatch, f'while [ ! -e "{gate}" ]; do sleep 0.02; done')
    f = tr.compile(_f, backend="c")
    x, y = rng.standard_normal((50, 7)), rng.standard_normal((50, 7))
    first = f(x, y)                      # the compiler is blocked: numpy answers
    lowered = f.lower(x, y)
    assert lowered._executable is None and not lowered._pending.done
    assert "TR_EXPORT int tr_entry(" in lowered.source()    # the C is there to read
    again = f(x, y)                       # still numpy
    gate.touch()
    _wait_done(lowered)
    native = f(x, y)                      # switched
    assert isinstance(lowered._executable, NativeExecutable)
    want = _f(x, y)
    for got in (first, again, native):
        for a, b in zip(got, want):
            assert a.dtype == b.dtype and a.shape == b.shape
            np.testing.assert_array_equal(a, b)
    assert f._hot is not None or f(x, y) is not None      # the C fast path from now on


def test_compile_and_wait_true_block(background, tmp_path, monkeypatch, rng):
    marker = tmp_path / "slow"
    _gated_cc(tmp_path, monkeypatch, f'sleep 0.3; touch "{marker}"')
    x, y = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    compiled = tr.compile(_f, backend="c").lower(x, y).compile()
    assert isinstance(compiled.lowered._executable, NativeExecutable) and marker.exists()
    g = tr.compile(lambda x, y: _f(x, y)[0] * 2, backend="c", wait=True)
    np.testing.assert_array_equal(g(x, y), _f(x, y)[0] * 2)
    assert isinstance(g.lower(x, y)._executable, NativeExecutable)


def test_a_failed_background_compile_warns_once_and_numpy_goes_on(background, tmp_path,
                                                                 monkeypatch, rng):
    _gated_cc(tmp_path, monkeypatch, 'echo "deliberate failure 42" >&2; exit 1')
    f = tr.compile(_f, backend="c")
    x, y = rng.standard_normal((6, 5)), rng.standard_normal((6, 5))
    first = f(x, y)
    lowered = f.lower(x, y)
    _wait_done(lowered)
    with pytest.warns(BackgroundCompileWarning, match="deliberate failure 42"):
        second = f(x, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        third = f(x, y)                   # once only
    for got in (first, second, third):
        for a, b in zip(got, _f(x, y)):
            np.testing.assert_array_equal(a, b)
    assert not isinstance(lowered.executable(), NativeExecutable)   # the reference, for good


def test_a_cached_module_loads_at_once(background, rng):
    x, y = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    tr.compile(_f, backend="c", wait=True)(x, y)          # builds it
    f = tr.compile(_f, backend="c")
    f(x, y)
    assert isinstance(f.lower(x, y)._executable, NativeExecutable)   # no pending phase


def test_background_compile_setting_is_checked():
    with pytest.raises(TypeError, match="background_compile"):
        tr.config.background_compile = "yes"
    with pytest.raises(TypeError, match="wait"):
        tr.compile(_f, wait="no")


def test_a_process_forked_during_a_build_finishes_it_itself(background, tmp_path, monkeypatch,
                                                            rng):
    import os
    gate = tmp_path / "open"
    _gated_cc(tmp_path, monkeypatch, f'while [ ! -e "{gate}" ]; do sleep 0.02; done')
    f = tr.compile(lambda x: np.abs(x) * 3.0, backend="c")
    x = rng.standard_normal(5)
    f(x)                                           # pending: the compiler waits on the gate
    pid = os.fork()
    if pid == 0:                                   # the child: no worker thread of its own
        code = 1
        try:
            low = f.lower(x)                       # its own build, once the gate opens
            exe = low._pending.wait(120) if low._pending is not None else low.executable()
            ok = isinstance(exe, NativeExecutable) and np.array_equal(f(x), np.abs(x) * 3.0)
            code = 0 if ok else 2
        finally:
            os._exit(code)
    gate.touch()
    _wait_done(f.lower(x))
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_gil_turns_are_short_while_a_build_runs_and_restored_after(background, tmp_path,
                                                                   monkeypatch, rng):
    """The build thread must not wait a whole 5 ms turn after each compiler process while
    the user's thread keeps calling (background.BUILD_SWITCH_INTERVAL)."""
    import sys

    from tracer.backends.c.background import BUILD_SWITCH_INTERVAL
    gate = tmp_path / "open"
    _gated_cc(tmp_path, monkeypatch, f'while [ ! -e "{gate}" ]; do sleep 0.02; done')
    before = sys.getswitchinterval()
    assert before > BUILD_SWITCH_INTERVAL
    f = tr.compile(lambda a: np.tanh(a) * 3.0 + a, backend="c")
    x = rng.standard_normal(20)
    f(x)
    lowered = f.lower(x)
    deadline = time.monotonic() + 60
    while sys.getswitchinterval() != BUILD_SWITCH_INTERVAL:     # the build has started
        assert time.monotonic() < deadline
        time.sleep(0.01)
    gate.touch()
    _wait_done(lowered)
    assert sys.getswitchinterval() == before
