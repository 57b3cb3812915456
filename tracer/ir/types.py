"""A value's static type: dtype plus a fully known shape."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .dtypes import short_name


@dataclass(frozen=True, slots=True)
class TensorType:
    dtype: np.dtype
    shape: tuple[int, ...]

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def __str__(self) -> str:
        return f"{short_name(self.dtype)}[{','.join(map(str, self.shape))}]"


def tensor_type(dtype, shape) -> TensorType:
    return TensorType(np.dtype(dtype), tuple(int(d) for d in shape))


# The type of a node that is a tuple of values (a SCAN), read only through projections.
TOKEN = TensorType(np.dtype(bool), (0,))
