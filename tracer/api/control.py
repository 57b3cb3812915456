"""tr.ifelse (the implementation lives in tracer/trace/control.py, where loops use it too)."""
from ..trace.control import ifelse

__all__ = ["ifelse"]
