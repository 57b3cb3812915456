"""Backends: each turns a Graph into an executable. The reference one is the spec."""
from __future__ import annotations

from typing import Any, Callable

from ..ir import Graph
from .c import Pending
from .c import compile_graph as compile_c
from .c import start as start_c
from .python import compile_graph as compile_python

__all__ = ["BACKENDS", "Pending", "compile_for", "start_for"]


def _unavailable(name: str) -> Callable[[Graph], Any]:
    def fail(graph: Graph) -> Any:
        raise NotImplementedError(f"backend {name!r} is not available yet; use backend='python'")
    return fail


BACKENDS: dict[str, Callable[[Graph], Any]] = {
    "python": compile_python,
    "c": compile_c,
    "cuda": _unavailable("cuda"),
}


def start_for(backend: str, graph: Graph) -> Any:
    """The executable, or on the C backend's cache miss a `Pending` whose reference
    executable runs until the module built in the background is ready (c/background.py)."""
    if backend == "c":
        return start_c(graph)
    return compile_for(backend, graph)


def compile_for(backend: str, graph: Graph) -> Any:
    try:
        build = BACKENDS[backend]
    except KeyError:
        raise ValueError(f"backend: expected one of {', '.join(BACKENDS)}, got {backend!r}") from None
    return build(graph)
