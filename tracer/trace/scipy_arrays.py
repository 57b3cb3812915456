"""scipy functions written over `xp = array_namespace(x)` trace without SCIPY_ARRAY_API.

scipy computes many functions (scipy.optimize.rosen, rosen_der, rosen_hess_prod, ...)
with the namespace `array_namespace(x)` gives; unless the user set SCIPY_ARRAY_API=1
before importing scipy, it answers numpy for any input, and numpy's asarray of a
traced value needs concrete data. While a function is traced (array_entry.patched),
tracer sets the flag array_namespace reads, so a traced array gets its own namespace
(its __array_namespace__, trace/array_api.py) and a plain array numpy's, exactly as
with SCIPY_ARRAY_API=1; the flag is restored when the trace ends. Inside a traced
function scipy then also applies its array-API input checks (no np.matrix, no masked
arrays), which SCIPY_ARRAY_API=1 would apply everywhere.
"""
from __future__ import annotations

import sys
from typing import Any

_FLAG = "SCIPY_ARRAY_API"


def _globals() -> dict[str, Any] | None:
    """The module globals scipy's array_namespace reads its flag from (None: no scipy)."""
    module = sys.modules.get("scipy._lib._array_api")
    function = getattr(module, "array_namespace", None)
    found = getattr(function, "__globals__", None)
    return found if found is not None and _FLAG in found else None


def enable() -> Any:
    """Turn scipy's array-API dispatch on; returns what restore() needs."""
    found = _globals()
    if found is None:
        return None
    before = found[_FLAG]
    found[_FLAG] = True
    return found, before


def restore(saved: Any) -> None:
    if saved is not None:
        found, before = saved
        found[_FLAG] = before
