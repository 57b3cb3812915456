"""The dtypes tracer supports and their short names in the text form."""
from __future__ import annotations

import numpy as np

SUPPORTED = tuple(
    np.dtype(name)
    for name in (
        "bool", "int8", "int16", "int32", "int64",
        "uint8", "uint16", "uint32", "uint64", "float32", "float64",
        "complex64", "complex128",
    )
)

_SHORT = {
    "bool": "bool", "int8": "i8", "int16": "i16", "int32": "i32", "int64": "i64",
    "uint8": "u8", "uint16": "u16", "uint32": "u32", "uint64": "u64",
    "float16": "f16", "float32": "f32", "float64": "f64",
    "complex64": "c64", "complex128": "c128",
}


def short_name(dtype: np.dtype) -> str:
    """`f64` for float64, as in a jaxpr."""
    return _SHORT.get(dtype.name, dtype.name)


def is_supported(dtype: np.dtype) -> bool:
    return dtype in SUPPORTED


def is_float(dtype: np.dtype) -> bool:
    return dtype.kind == "f"


def is_complex(dtype: np.dtype) -> bool:
    return dtype.kind == "c"


def is_inexact(dtype: np.dtype) -> bool:
    """float or complex: the dtypes that carry derivatives."""
    return dtype.kind in "fc"


def real_dtype(dtype: np.dtype) -> np.dtype:
    """float64 for complex128 (the dtype of its parts), the dtype itself otherwise."""
    return np.empty((), dtype).real.dtype if dtype.kind == "c" else dtype


def complex_dtype(dtype: np.dtype) -> np.dtype:
    """complex128 for float64: numpy's complex type with parts of this float dtype."""
    return np.result_type(dtype, np.complex64)


def is_integer(dtype: np.dtype) -> bool:
    return dtype.kind in "iu"


def is_bool(dtype: np.dtype) -> bool:
    return dtype.kind == "b"


BOOL = np.dtype(bool)
INT64 = np.dtype(np.int64)
FLOAT64 = np.dtype(np.float64)
