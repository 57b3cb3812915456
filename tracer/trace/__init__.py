"""Tracing: proxies, the numpy surface over them, pytrees, signatures."""
from . import dispatch  # noqa: F401  (installs the numpy surface on Proxy)
from .context import Trace, current_trace, tracing, user_loc
from .errors import ConcretizationError
from .proxy import Proxy, is_traced
from .signature import LeafSpec, Signature, check_static, leaf_spec
from .tracing import TracedFunction, trace_function

__all__ = ["Trace", "current_trace", "tracing", "user_loc", "ConcretizationError", "Proxy",
           "is_traced", "LeafSpec", "Signature", "check_static", "leaf_spec",
           "TracedFunction", "trace_function"]
