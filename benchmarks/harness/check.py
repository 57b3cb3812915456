"""Results of every system are compared with numpy's before anything is timed."""
from __future__ import annotations

from typing import Any

import numpy as np


def leaves(tree: Any) -> list[np.ndarray]:
    """Flatten nested tuples/lists/dicts (dicts by sorted key) into numpy arrays."""
    if isinstance(tree, dict):
        return [x for k in sorted(tree) for x in leaves(tree[k])]
    if isinstance(tree, (tuple, list)):
        return [x for item in tree for x in leaves(item)]
    return [to_numpy(tree)]


def to_numpy(x: Any) -> np.ndarray:
    """jax arrays, torch tensors, numpy scalars and arrays -> a numpy array (a copy)."""
    if hasattr(x, "detach") and hasattr(x, "cpu"):  # torch
        x = x.detach().cpu().numpy()
    return np.array(x, copy=True)


def snapshot(tree: Any) -> list[np.ndarray]:
    """Copies of the leaves now (stateful systems update their arrays in place later)."""
    return leaves(tree)


def compare(got: Any, want: list[np.ndarray], rtol: float) -> str:
    """"" when `got` matches the reference leaves, else a short reason."""
    have = leaves(got)
    if len(have) != len(want):
        return f"{len(have)} outputs, numpy gives {len(want)}"
    for i, (g, w) in enumerate(zip(have, want)):
        if g.shape != w.shape:
            return f"output {i}: shape {g.shape}, numpy {w.shape}"
        if g.dtype != w.dtype:
            return f"output {i}: dtype {g.dtype}, numpy {w.dtype}"
        if w.size == 0:
            continue
        scale = float(np.max(np.abs(w[np.isfinite(w)]), initial=0.0))
        if not np.allclose(g, w, rtol=rtol, atol=rtol * scale, equal_nan=True):
            err = float(np.max(np.abs(g.astype(np.float64) - w.astype(np.float64))))
            return f"output {i}: max abs error {err:.3g} (numpy's scale {scale:.3g})"
    return ""
