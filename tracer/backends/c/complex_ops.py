"""C expressions for complex elements, each numpy's own formula.

Componentwise ops (+, -, negation, conj, real, imag, building from parts, ==, !=,
isnan/isinf/isfinite, casts) round once per part, so C99 `_Complex` arithmetic
gives numpy's bits. Multiplication, abs and division do not: numpy's loops have
their own formulas, and which one depends on the machine numpy dispatched to
(with FMA, numpy's complex multiply is re = fma(ar, br, -(ai*bi)),
im = fma(ar, bi, ai*br), and abs is L * sqrt(fma(r, r, 1)) for r = small/large;
without, the plain products). So each is asked of numpy once per process on
probe values (random, tiny, huge, zeros, inf, NaN) against the candidates
computed exactly in Python; an op whose formula is found runs in C, one whose
formula is not stays a numpy step (complex_c.py) and still gives numpy's answer.
Division is numpy's scalar Smith loop (a zero divisor gives inf/NaN parts as
numpy's). Kernels with complex work compile without gcc's SLP vectorizer (NO_SLP). exp, log, sqrt, trig and powers stay numpy steps (npymath's own code).
"""
from __future__ import annotations

import functools
from fractions import Fraction
from typing import Any

import numpy as np

from ...ir import Op
from ...ir.dtypes import real_dtype
from . import helpers_c
from .cnames import ctype, tag

# numpy's formula is fixed: componentwise ops, casts, and division's scalar loop
FIXED = frozenset({Op.ADD, Op.SUB, Op.NEG, Op.CONJ, Op.REAL, Op.IMAG, Op.COMPLEX, Op.EQ, Op.NE,
                   Op.ISNAN, Op.ISINF, Op.ISFINITE, Op.CAST, Op.SELECT, Op.DIV})
PROBED = frozenset({Op.MUL, Op.ABS})


def _fma(x: float, y: float, z: float, part: np.dtype) -> Any:
    if not (np.isfinite(x) and np.isfinite(y)):
        return part.type(np.float64(x) * np.float64(y) + np.float64(z))
    if not np.isfinite(z):      # the exact product is finite: z decides
        return part.type(z)
    exact = Fraction(float(x)) * Fraction(float(y)) + Fraction(float(z))
    try:
        return part.type(float(exact))
    except OverflowError:       # beyond any double: the fma rounds to an infinity
        return part.type(np.inf if exact > 0 else -np.inf)


def _probe_values(dtype: np.dtype) -> np.ndarray:
    rng = np.random.default_rng(12345)
    part = real_dtype(dtype)
    big, tiny = np.finfo(part).max / 4, np.finfo(part).tiny * 4
    specials = np.array([0.0, -0.0, 1.0, -3.0, tiny, big, np.inf, -np.inf, np.nan], part)
    re, im = np.meshgrid(specials, specials)
    z = np.empty(re.size + 200, dtype)
    z.real = np.concatenate([re.ravel(), rng.standard_normal(200).astype(part)])
    z.imag = np.concatenate([im.ravel(), rng.standard_normal(200).astype(part)])
    return z


def _same(got: np.ndarray, want: np.ndarray) -> bool:
    return bool(np.array_equal(got, want, equal_nan=True))


def _mul_candidates(a: np.ndarray, b: np.ndarray, part: np.dtype) -> dict[str, np.ndarray]:
    ar, ai, br, bi = a.real, a.imag, b.real, b.imag
    with np.errstate(all="ignore"):
        plain = np.empty(a.shape, a.dtype)
        plain.real, plain.imag = ar * br - ai * bi, ar * bi + ai * br
        fused = np.empty(a.shape, a.dtype)
        fused.real = [_fma(x, y, -(p * q), part) for x, y, p, q in zip(ar, br, ai, bi)]
        fused.imag = [_fma(x, y, p * q, part) for x, y, p, q in zip(ar, bi, ai, br)]
    return {"plain": plain, "fma": fused}


def _abs_candidates(z: np.ndarray, part: np.dtype) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {"plain": np.empty(z.shape, part), "fma": np.empty(z.shape, part)}
    with np.errstate(all="ignore"):
        re, im = np.abs(z.real), np.abs(z.imag)
        large, small = np.maximum(re, im), np.minimum(re, im)
        r = np.where(large == 0, part.type(0), small / large)
        one = part.type(1)
        out["plain"][...] = large * np.sqrt(one + r * r)
        out["fma"][...] = large * np.sqrt([_fma(x, x, one, part) for x in r])
        for v in out.values():
            v[large == 0] = 0
            v[np.isnan(re) | np.isnan(im)] = np.nan
            v[np.isinf(re) | np.isinf(im)] = np.inf
    return out


@functools.cache
def numpy_formula(op: Op, dtype: np.dtype) -> str | None:
    """'plain' or 'fma': the formula numpy's loop for `op` on `dtype` uses here, or None."""
    z = _probe_values(dtype)
    part = real_dtype(dtype)
    a, b = np.meshgrid(z[:81], z[:81:4])         # each special value against 21 others
    a = np.concatenate([a.ravel(), z[81:]])
    b = np.concatenate([b.ravel(), z[81:][::-1]])
    with np.errstate(all="ignore"):
        if op is Op.MUL:
            want, candidates = a * b, _mul_candidates(a, b, part)
        else:
            want, candidates = np.abs(z), _abs_candidates(z, part)
    for name, got in candidates.items():
        if _same(got, want):
            return name
    return None


def supported(op: Op, dtype: np.dtype, out: np.dtype) -> bool:
    """Whether `expression` gives numpy's bits for op on these dtypes."""
    if op in FIXED:
        return True
    return op in PROBED and dtype.kind == "c" and numpy_formula(op, dtype) is not None


# gcc 12's SLP vectorizer at -O2 drops a narrowing-then-widening pair of conversions
# when both parts of a complex value go through it ((double _Complex)(float _Complex)z
# came out as z; measured with the casts in tests/trace/test_complex.py): a kernel file
# with complex work is compiled without SLP (its loops still vectorize, omp simd).
NO_SLP = '#pragma GCC optimize ("no-tree-slp-vectorize")'


def expression(op: Op, dtype: np.dtype, out: np.dtype, a: list[str], helpers: Any) -> str:
    """C for one complex element (inputs of `dtype`, result of `out`)."""
    helpers.need("tr_no_slp", NO_SLP)
    if op is Op.CAST:
        return _cast(dtype, out, a[0], helpers)
    if op is Op.COMPLEX:
        t = ctype(dtype)
        return f"__builtin_complex(({t})({a[0]}), ({t})({a[1]}))"
    re = [f"__real__ ({x})" for x in a]
    im = [f"__imag__ ({x})" for x in a]
    simple = {
        Op.NEG: lambda: f"(-({a[0]}))",
        Op.CONJ: lambda: f"__builtin_complex({re[0]}, -{im[0]})",
        Op.REAL: lambda: re[0], Op.IMAG: lambda: im[0],
        Op.ADD: lambda: f"(({a[0]}) + ({a[1]}))", Op.SUB: lambda: f"(({a[0]}) - ({a[1]}))",
        Op.EQ: lambda: f"({re[0]} == {re[1]} && {im[0]} == {im[1]})",
        Op.NE: lambda: f"({re[0]} != {re[1]} || {im[0]} != {im[1]})",
        Op.ISNAN: lambda: f"(isnan({re[0]}) || isnan({im[0]}))",
        Op.ISINF: lambda: f"(isinf({re[0]}) || isinf({im[0]}))",
        Op.ISFINITE: lambda: f"(isfinite({re[0]}) && isfinite({im[0]}))",
        Op.SELECT: lambda: f"({a[0]} ? {a[1]} : {a[2]})",
    }
    if op in simple:
        return simple[op]()
    name = f"tr_c{op.value}_{tag(dtype)}"
    helpers.need(name, _HELPERS[op](name, dtype))
    return f"{name}({', '.join(a)})"


def _cast(src: np.dtype, dst: np.dtype, x: str, helpers: Any) -> str:
    """numpy's astype: parts cast as real values are (helpers_c.cast)."""
    if src.kind == "c" and dst.kind == "c":
        t = ctype(real_dtype(dst))
        return f"__builtin_complex(({t})__real__ ({x}), ({t})__imag__ ({x}))"
    if src.kind == "c" and dst.kind == "b":
        return f"(__real__ ({x}) != 0 || __imag__ ({x}) != 0)"
    if src.kind == "c":         # numpy keeps the real part (after its ComplexWarning)
        return helpers_c.cast(real_dtype(src), dst, f"__real__ ({x})", helpers)
    part = real_dtype(dst)
    t = ctype(part)
    return f"__builtin_complex({helpers_c.cast(src, part, f'({x})', helpers)}, ({t})0)"


def _mul(name: str, dtype: np.dtype) -> str:
    t, p = ctype(dtype), ctype(real_dtype(dtype))
    f = "f" if real_dtype(dtype) == np.float32 else ""
    if numpy_formula(Op.MUL, dtype) == "fma":
        re, im = f"fma{f}(ar, br, -(ai * bi))", f"fma{f}(ar, bi, ai * br)"
    else:
        re, im = "ar * br - ai * bi", "ar * bi + ai * br"
    return (f"static inline {t} {name}({t} a, {t} b) {{\n"
            f"    {p} ar = __real__ a, ai = __imag__ a, br = __real__ b, bi = __imag__ b;\n"
            f"    return __builtin_complex(({p})({re}), ({p})({im}));\n}}")


def _abs(name: str, dtype: np.dtype) -> str:
    t, p = ctype(dtype), ctype(real_dtype(dtype))
    f = "f" if real_dtype(dtype) == np.float32 else ""
    one = f"({p})1"
    root = f"fma{f}(r, r, {one})" if numpy_formula(Op.ABS, dtype) == "fma" else f"{one} + r * r"
    return (f"static inline {p} {name}({t} z) {{\n"
            f"    {p} re = fabs{f}(__real__ z), im = fabs{f}(__imag__ z);\n"
            f"    if (isinf(re) || isinf(im)) return ({p})INFINITY;\n"
            f"    if (isnan(re) || isnan(im)) return ({p})NAN;\n"
            f"    {p} large = re > im ? re : im, small = re > im ? im : re;\n"
            f"    if (large == 0) return 0;\n"
            f"    {p} r = small / large;\n"
            f"    return large * sqrt{f}({root});\n}}")


def _div(name: str, dtype: np.dtype) -> str:
    """numpy's loop: Smith's method; a zero divisor divides each part by |0|."""
    t, p = ctype(dtype), ctype(real_dtype(dtype))
    f = "f" if real_dtype(dtype) == np.float32 else ""
    return (f"static inline {t} {name}({t} a, {t} b) {{\n"
            f"    {p} ar = __real__ a, ai = __imag__ a, br = __real__ b, bi = __imag__ b;\n"
            f"    {p} abr = fabs{f}(br), abi = fabs{f}(bi);\n"
            f"    if (abr >= abi) {{\n"
            f"        if (abr == 0 && abi == 0) return __builtin_complex(ar / abr, ai / abr);\n"
            f"        {p} rat = bi / br, scl = ({p})1.0 / (br + bi * rat);\n"
            f"        return __builtin_complex((ar + ai * rat) * scl, (ai - ar * rat) * scl);\n"
            f"    }}\n"
            f"    {p} rat = br / bi, scl = ({p})1.0 / (bi + br * rat);\n"
            f"    return __builtin_complex((ar * rat + ai) * scl, (ai * rat - ar) * scl);\n}}")


_HELPERS = {Op.MUL: _mul, Op.ABS: _abs, Op.DIV: _div}
