"""tr.scan, tr.fori_loop, tr.while_loop, tr.until: the loops of tracer/loops, callable anywhere.

Under a trace (inside tr.compile or a transform) they build a SCAN node. Called on
plain arrays outside one, the loop is traced on the spot and run once by the
reference backend (numpy, op by op), so the result is the same either way.
"""
from __future__ import annotations

import functools
from typing import Any, Callable

from ..loops import api as loops
from ..loops.api import until
from ..trace import current_trace
from .compile import CompiledFunction


def _anywhere(loop: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(loop)
    def call(*args: Any, **kwargs: Any) -> Any:
        if current_trace() is not None:
            return loop(*args, **kwargs)
        return CompiledFunction(lambda: loop(*args, **kwargs), backend="python")()
    return call


scan = _anywhere(loops.scan)
fori_loop = _anywhere(loops.fori_loop)
while_loop = _anywhere(loops.while_loop)

__all__ = ["scan", "fori_loop", "while_loop", "until"]
