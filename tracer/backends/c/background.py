"""Never waiting on the compiler: build a module in the background, run numpy meanwhile.

`start(graph)` renders the graph and looks its module up in the cache (both a few
milliseconds). On a hit it loads the module and returns the executable, as
compile_graph does. On a miss it returns a `Pending`: the reference executable of the
same (optimized) graph, which the first calls run on, and a build queued on one
background thread. The build compiles the missing objects in parallel on all cores but
one (the reference executor keeps one), links, loads, and hands over the executable;
callers check `poll()` on each call and switch when it is there. A compile error is kept
and reported by the caller once (BackgroundCompileWarning), which then stays on the
reference executor: results are the same either way, the reference is the spec.

A process forked while builds are queued or running (multiprocessing) has no worker
thread: its first background build starts a new one and queues the unfinished builds
again, so none waits forever. The thread is a daemon: a process that ends while a
build runs does not wait for it.
The compiler it started finishes writing a temporary file that the next build of that
key removes (cache/store.py); nothing half-built is ever published.
"""
from __future__ import annotations

import contextlib
import os
import queue
import sys
import threading
import weakref
from collections.abc import Callable, Iterator
from typing import Any

from ...ir import Graph
from ..python import compile_graph as compile_reference


class BackgroundCompileWarning(RuntimeWarning):
    """A C module built in the background failed to compile; its function keeps running
    on the reference executor (numpy). The message carries the compiler's."""


def background_jobs() -> int:
    """Compiler processes a background build runs at once: every core but one."""
    return max(1, (os.cpu_count() or 1) - 1)


class Pending:
    """A module being built in the background, and the executable to use meanwhile."""

    def __init__(self, graph: Graph, source: str, build: Callable[[], Any]):
        self.graph = graph
        self.source = source            # the C module, as the finished executable shows it
        self.reference = compile_reference(graph)
        self._build = build
        self._done = threading.Event()
        self._result: Any = None
        self.error: BaseException | None = None
        with _lock:
            _in_flight[0] += 1
            _live.add(self)
        _queue().put(self)

    def _run(self) -> None:
        try:
            with _short_gil_turns():
                self._result = self._build()
        except BaseException as exc:        # reported to the caller, on its next call
            self.error = exc
        finally:
            self._build = None              # type: ignore[assignment]
            self._done.set()
            with _idle:
                _in_flight[0] -= 1
                _live.discard(self)
                _idle.notify_all()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def poll(self) -> Any:
        """The built executable once it is ready and good, else None."""
        return self._result if self._done.is_set() else None

    def wait(self, timeout: float | None = None) -> Any:
        """Block until the build ends; the executable, or raise its error."""
        if not self._done.wait(timeout):
            raise TimeoutError("the background compile has not finished")
        if self.error is not None:
            raise self.error
        return self._result


_lock = threading.Lock()
_work: list[queue.SimpleQueue] = []
_in_flight = [0]
_idle = threading.Condition(_lock)
_live: weakref.WeakSet = weakref.WeakSet()      # unfinished builds


def wait_idle(timeout: float | None = None) -> bool:
    """Block until no background build is queued or running (True), or `timeout` passes
    (False): for benchmarks and tests that must not leave a compiler running."""
    with _idle:
        return _idle.wait_for(lambda: _in_flight[0] == 0, timeout)


def _queue() -> queue.SimpleQueue:
    with _lock:
        if not _work:
            _work.append(queue.SimpleQueue())
            threading.Thread(target=_worker, args=(_work[0],), name="tracer-background-compile",
                             daemon=True).start()
        return _work[0]


# While the user's thread keeps calling (the reference executor is Python and numpy),
# the build thread waits up to a whole switch interval (5 ms) for the GIL after every
# compiler process, file write and lock it finishes: a 1.6 s build took 5.9 s to arrive.
# With 0.5 ms turns while a build runs, 3.0 s (an RK4 loop called back to back).
BUILD_SWITCH_INTERVAL = 0.0005


@contextlib.contextmanager
def _short_gil_turns() -> Iterator[None]:
    """Shorter GIL turns during a build, unless the user set shorter ones; restored after
    (if nobody changed them meanwhile)."""
    before = sys.getswitchinterval()
    if before <= BUILD_SWITCH_INTERVAL:
        yield
        return
    sys.setswitchinterval(BUILD_SWITCH_INTERVAL)
    try:
        yield
    finally:
        if sys.getswitchinterval() == BUILD_SWITCH_INTERVAL:
            sys.setswitchinterval(before)


def _worker(jobs: queue.SimpleQueue) -> None:
    while True:
        jobs.get()._run()


def _after_fork_in_child() -> None:
    """The child has no worker: new locks, and the unfinished builds queued again."""
    global _lock, _idle
    _lock = threading.Lock()
    _idle = threading.Condition(_lock)
    _work.clear()
    unfinished = [p for p in list(_live) if not p.done and p._build is not None]
    _in_flight[0] = len(unfinished)
    for pending in unfinished:
        _queue().put(pending)


os.register_at_fork(after_in_child=_after_fork_in_child)
