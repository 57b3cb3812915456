"""(to be filled) numpy functions on traced values: see FUNCTIONS."""
from __future__ import annotations

from typing import Any, Callable

FUNCTIONS: dict[Callable[..., Any], Callable[..., Any]] = {}
