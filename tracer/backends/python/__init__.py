"""The reference backend: the numpy implementation of every op, run by a generated plan."""
from . import loop  # noqa: F401  (adds SCAN to IMPLS)
from .executor import Executable, compile_graph
from .impls import IMPLS, NOT_COMPUTED

__all__ = ["Executable", "compile_graph", "IMPLS", "NOT_COMPUTED"]
