"""The numpy surface over traced values: numpy function -> implementation.

FUNCTIONS is the table `__array_function__` dispatches on (NEP 18); ufuncs
go through ufuncs.call_ufunc (NEP 13). Each module owns the functions of one
theme and exports its own FUNCTIONS table; this one merges them. Each
implementation takes numpy's signature and composes primitives; nothing here
knows about backends.
"""
from __future__ import annotations

from typing import Any, Callable

from . import (block, complex_api, contractions, creation, fft, indexing, linalg, linalg_decomp, reductions,
               scipy_linalg, scipy_special, scipy_stats, selection, sequences, shapes, sorting, ufuncs)

_MODULES = (reductions, shapes, linalg, selection, creation, contractions, complex_api, fft, linalg_decomp, block, sorting, sequences)

FUNCTIONS: dict[Callable[..., Any], Callable[..., Any]] = {}
for _module in _MODULES:
    FUNCTIONS.update(_module.FUNCTIONS)
scipy_linalg.install()      # scipy.linalg's solvers and factorizations
scipy_special.install()     # scipy.special.logsumexp on traced values
scipy_stats.install()       # scipy.stats' distributions, if it is imported (else: at a trace)

__all__ = ["FUNCTIONS", "complex_api", "contractions", "creation", "fft", "indexing", "linalg", "linalg_decomp", "reductions",
           "scipy_special", "selection", "sequences", "shapes", "sorting", "ufuncs"]
