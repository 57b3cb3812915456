"""The C backend: generated C with OpenMP, compiled once, cached on disk, run by the VM.

    compile_graph(graph) -> NativeExecutable   # exe(list_of_arrays) -> list_of_arrays
    start(graph) -> NativeExecutable or Pending   # a cache miss builds in the background

Rendering (render_module, render_fused, ops_table, kernels_c) needs no compiler;
compiler.py builds through tracer.cache; loader.py loads with cffi. Without a C
compiler the reference backend runs instead, after one warning.
"""
from __future__ import annotations

import functools
import warnings
from typing import Any

from ...ir import Graph
from ...vm import NativeExecutable
from ..python import compile_graph as compile_reference
from . import build, pycall
from .background import BackgroundCompileWarning, Pending, background_jobs
from .compiler import find_compiler, flags
from .loader import load
from .ops_table import UnsupportedOp
from .render_module import Rendered, render
from .threads import THREADS, get_num_threads, set_num_threads

__all__ = ["compile_graph", "start", "render", "set_num_threads", "get_num_threads",
           "UnsupportedOp", "NoCompilerWarning", "BackgroundCompileWarning", "Pending"]


class NoCompilerWarning(RuntimeWarning):
    """No C compiler was found: compiled functions run on the reference backend."""


_warned = [False]


def compile_graph(graph: Graph) -> Any:
    compiler = find_compiler()
    if compiler is None:
        if not _warned[0]:
            _warned[0] = True
            warnings.warn("no C compiler found ($CC or cc): the C backend falls back to the "
                          "reference (numpy) backend", NoCompilerWarning, stacklevel=3)
        return compile_reference(graph)
    rendered = render(graph)
    parts = build.plan(rendered, compiler)
    path = build.cached(parts) or build.build(parts, also=[lambda: pycall.maker(compiler, flags())])
    return load_executable(graph, rendered, path, compiler)


def start(graph: Graph) -> Any:
    """compile_graph's executable when the module is in the cache already; else a
    `Pending` (background.py) that runs the reference executor while the module builds."""
    compiler = find_compiler()
    if compiler is None:
        return compile_graph(graph)
    rendered = render(graph)
    parts = build.plan(rendered, compiler)
    path = build.cached(parts)
    if path is not None:
        return load_executable(graph, rendered, path, compiler)

    def finish() -> Any:
        done = build.build(parts, jobs=background_jobs(),
                           also=[lambda: pycall.maker(compiler, flags())])
        return load_executable(graph, rendered, done, compiler)
    return Pending(graph, rendered.source, finish)


def load_executable(graph: Graph, rendered: Rendered, path: str, compiler: list[str]) -> Any:
    """The executable of the module at `path` (built from `rendered`)."""
    ffi, lib = load(path, len(graph.inputs), len(graph.outputs))
    make = pycall.maker(compiler, flags())
    native = None
    if make is not None:
        entry_v = int(ffi.cast("uintptr_t", lib.tr_entry_v))
        native = functools.partial(pycall.native_call, make, entry_v)
    return NativeExecutable(graph, rendered.source, ffi, lib.tr_entry, rendered.table, THREADS,
                            keep_alive=[*rendered.consts, lib, rendered.numpy_steps],
                            reuse=rendered.reuse,
                            native_call=native)
