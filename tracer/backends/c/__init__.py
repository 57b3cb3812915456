"""The C backend: generated C with OpenMP, compiled once, cached on disk, run by the VM.

    compile_graph(graph) -> NativeExecutable   # exe(list_of_arrays) -> list_of_arrays

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
from . import pycall
from .compiler import build, find_compiler, flags
from .loader import load
from .ops_table import UnsupportedOp
from .render_module import render
from .threads import THREADS, get_num_threads, set_num_threads

__all__ = ["compile_graph", "render", "set_num_threads", "get_num_threads", "UnsupportedOp",
           "NoCompilerWarning"]


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
    path = build(rendered.source, compiler)     # a cache hit costs ~0.2 ms: no memo here
    ffi, lib = load(path, len(graph.inputs), len(graph.outputs))
    make = pycall.maker(compiler, flags())
    native = None
    if make is not None:
        entry_v = int(ffi.cast("uintptr_t", lib.tr_entry_v))
        native = functools.partial(pycall.native_call, make, entry_v)
    return NativeExecutable(graph, rendered.source, ffi, lib.tr_entry, rendered.table, THREADS,
                            keep_alive=[*rendered.consts, lib], reuse=rendered.reuse,
                            native_call=native)
