"""Backends: each turns a Graph into an executable. The reference one is the spec."""
from __future__ import annotations

from typing import Any, Callable

from ..ir import Graph
from .c import compile_graph as compile_c
from .python import compile_graph as compile_python


def _unavailable(name: str) -> Callable[[Graph], Any]:
    def fail(graph: Graph) -> Any:
        raise NotImplementedError(f"backend {name!r} is not available yet; use backend='python'")
    return fail


BACKENDS: dict[str, Callable[[Graph], Any]] = {
    "python": compile_python,
    "c": compile_c,
    "cuda": _unavailable("cuda"),
}


def compile_for(backend: str, graph: Graph) -> Any:
    try:
        build = BACKENDS[backend]
    except KeyError:
        raise ValueError(f"backend: expected one of {', '.join(BACKENDS)}, got {backend!r}") from None
    return build(graph)
