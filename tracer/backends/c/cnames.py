"""C spellings of tracer's dtypes: bool is stored as uint8 holding 0 or 1."""
from __future__ import annotations

import numpy as np

C_TYPES = {
    "bool": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int32_t",
    "int64": "int64_t", "uint8": "uint8_t", "uint16": "uint16_t", "uint32": "uint32_t",
    "uint64": "uint64_t", "float16": "_Float16", "float32": "float", "float64": "double",
    "complex64": "float _Complex", "complex128": "double _Complex",
}
# Short tags used in kernel names: one kernel per (operation, tag).
TAGS = {
    "bool": "b", "int8": "i8", "int16": "i16", "int32": "i32", "int64": "i64", "uint8": "u8",
    "uint16": "u16", "uint32": "u32", "uint64": "u64", "float16": "f16", "float32": "f32",
    "float64": "f64", "complex64": "c64", "complex128": "c128",
}


def ctype(dtype: np.dtype) -> str:
    """The C type that holds one element of `dtype`."""
    try:
        return C_TYPES[np.dtype(dtype).name]
    except KeyError:
        raise TypeError(f"the C backend does not support dtype {dtype}") from None


def accumulator(dtype: np.dtype) -> str:
    """The C type sums and products accumulate in: float for float16, as numpy's loops."""
    return "float" if np.dtype(dtype) == np.float16 else ctype(dtype)


def tag(dtype: np.dtype) -> str:
    return TAGS[np.dtype(dtype).name]


def unsigned_of(dtype: np.dtype) -> str:
    """The unsigned C type of the same width (for wrapping shifts and powers)."""
    return f"uint{np.dtype(dtype).itemsize * 8}_t"
