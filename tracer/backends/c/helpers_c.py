"""C helper functions for elementwise ops whose numpy semantics need a few lines.

Each returns (name, definition) so a module defines a helper once, for the
dtypes it uses. The float ones transcribe numpy's npy_math (npy_divmod,
npy_logaddexp); casts reproduce what numpy's x86 cast loops give for NaN and
out-of-range values instead of C's undefined behaviour.
"""
from __future__ import annotations

import numpy as np

from .cnames import ctype, tag

LGAMMA = """static inline double tr_lgamma(double x) {
    int sign;
    if (x == -INFINITY) return x;                     /* scipy: gammaln(-inf) = -inf */
    if (isinf(1.0 / x)) return INFINITY;              /* cephes' 1/x overflows: inf */
    return lgamma_r(x, &sign);
}"""

DIGAMMA = """static double tr_digamma(double x) {        /* scipy.special.psi's edge values */
    if (isnan(x) || x == -INFINITY) return NAN;
    if (x == 0) return signbit(x) ? INFINITY : -INFINITY;
    if (x == INFINITY) return x;
    double r = 0;
    if (x < 0) {
        if (x == floor(x)) return NAN;
        r = -3.14159265358979323846 / tan(3.14159265358979323846 * (x - rint(x)));
        x = 1 - x;
    }
    while (x < 6) { r -= 1 / x; x += 1; }
    double f = 1 / (x * x);
    double t = f * (-1 / 12.0 + f * (1 / 120.0 + f * (-1 / 252.0 + f * (1 / 240.0
               + f * (-1 / 132.0 + f * (691 / 32760.0 + f * (-1 / 12.0)))))));
    return r + log(x) - 0.5 / x + t;
}"""
DOUBLE_HELPERS = {"tr_lgamma": LGAMMA, "tr_digamma": DIGAMMA}


def float_helper(name: str, dtype: np.dtype, helpers) -> str:
    """Define numpy's float `name` (floordiv, mod, logaddexp, logaddexp2); return its C name."""
    t, f = ctype(dtype), ("f" if dtype == np.float32 else "")
    fn = f"tr_{name}_{tag(dtype)}"
    divmod_ = f"""static inline {t} tr_divmod_{tag(dtype)}({t} a, {t} b, {t} *modulus) {{
    {t} mod = fmod{f}(a, b), div, floordiv;
    if (!b) {{ *modulus = mod; return a / b; }}
    div = (a - mod) / b;
    if (mod) {{
        if ((b < 0) != (mod < 0)) {{ mod += b; div -= 1; }}
    }} else {{
        mod = copysign{f}(0, b);
    }}
    if (div) {{
        floordiv = floor{f}(div);
        if (div - floordiv > 0.5{f}) floordiv += 1;
    }} else {{
        floordiv = copysign{f}(0, a / b);
    }}
    *modulus = mod;
    return floordiv;
}}
"""
    bodies = {
        "floordiv": f"""static inline {t} {fn}({t} a, {t} b) {{
    {t} mod;
    if (!b) return a / b;
    return tr_divmod_{tag(dtype)}(a, b, &mod);
}}""",
        "mod": f"""static inline {t} {fn}({t} a, {t} b) {{
    {t} mod;
    if (!b) return fmod{f}(a, b);
    tr_divmod_{tag(dtype)}(a, b, &mod);
    return mod;
}}""",
        "logaddexp": f"""static inline {t} {fn}({t} x, {t} y) {{
    if (x == y) return x + ({t})0.693147180559945309417232121458176568;
    {t} d = x - y;
    if (d > 0) return x + log1p{f}(exp{f}(-d));
    if (d <= 0) return y + log1p{f}(exp{f}(d));
    return d;
}}""",
        "logaddexp2": f"""static inline {t} {fn}({t} x, {t} y) {{
    const {t} log2e = ({t})1.442695040888963407359924681001892137;
    if (x == y) return x + 1;
    {t} d = x - y;
    if (d > 0) return x + log2e * log1p{f}(exp2{f}(-d));
    if (d <= 0) return y + log2e * log1p{f}(exp2{f}(d));
    return d;
}}""",
    }
    if name in ("floordiv", "mod"):
        helpers.need(f"tr_divmod_{tag(dtype)}", divmod_)
    return helpers.need(fn, bodies[name])


SPACING = {
    # numpy's npy_spacing: the next float away from zero (by the bits) minus x;
    # +-0 -> the smallest subnormal, inf -> NaN
    "float64": """static inline double tr_spacing_f64(double x) {
    if (isinf(x)) return NAN;
    if (x == 0) return 4.9406564584124654e-324;
    uint64_t b; double n;
    memcpy(&b, &x, 8); b += 1; memcpy(&n, &b, 8);
    return n - x;
}""",
    "float32": """static inline float tr_spacing_f32(float x) {
    if (isinf(x)) return NAN;
    if (x == 0) return 1.40129846e-45f;
    uint32_t b; float n;
    memcpy(&b, &x, 4); b += 1; memcpy(&n, &b, 4);
    return n - x;
}""",
    # numpy's npy_half_spacing, on the half's bits: never negative
    "float16": """static inline float tr_spacing_f16(float v) {
    _Float16 h16 = (_Float16)v, r16;
    uint16_t h, e, sig, r;
    memcpy(&h, &h16, 2);
    e = h & 0x7c00u; sig = h & 0x03ffu;
    if (e == 0x7c00u) return NAN;
    if (h == 0x7bffu) return INFINITY;
    if ((h & 0x8000u) && sig == 0) {
        r = e > 0x2c00u ? (uint16_t)(e - 0x2c00u) : e > 0x0400u ? (uint16_t)(1u << ((e >> 10) - 2)) : 1u;
    } else {
        r = e > 0x2800u ? (uint16_t)(e - 0x2800u) : e > 0x0400u ? (uint16_t)(1u << ((e >> 10) - 1)) : 1u;
    }
    memcpy(&r16, &r, 2);
    return (float)r16;
}""",
}

# numpy's npy_half_nextafter on the bits (float32 and float64 use C's nextafter)
NEXTAFTER_F16 = """static inline float tr_nextafter_f16(float xv, float yv) {
    _Float16 x16 = (_Float16)xv, y16 = (_Float16)yv, r16;
    uint16_t x, y, r;
    if (isnan(xv) || isnan(yv)) return NAN;
    if (xv == yv) return xv;
    memcpy(&x, &x16, 2); memcpy(&y, &y16, 2);
    if (xv == 0) r = (uint16_t)((y & 0x8000u) + 1);
    else if (!(x & 0x8000u)) r = (int16_t)x > (int16_t)y ? x - 1 : x + 1;
    else r = (!(y & 0x8000u) || (x & 0x7fffu) > (y & 0x7fffu)) ? x - 1 : x + 1;
    memcpy(&r16, &r, 2);
    return (float)r16;
}"""


def int_helper(name: str, dtype: np.dtype) -> tuple[str, str]:
    t = ctype(dtype)
    u = "uint64_t" if dtype.itemsize == 8 else "uint32_t"
    fn = f"tr_{name}_{tag(dtype)}"
    signed = dtype.kind == "i"
    if name == "floordiv":
        body = (f"if (b == 0) return 0;\n    if (b == -1) return ({t})(-({u})a);\n"
                f"    {t} q = a / b;\n    if ((a % b != 0) && ((a < 0) != (b < 0))) q--;\n"
                "    return q;" if signed else "return b == 0 ? 0 : a / b;")
    elif name == "fmod":      # C's %, 0 for a zero divisor (and for -1: no overflow)
        body = ("return (b == 0 || b == -1) ? 0 : a % b;" if signed
                else "return b == 0 ? 0 : a % b;")
    elif name == "mod":
        body = (f"if (b == 0 || b == -1) return 0;\n    {t} r = a % b;\n"
                "    if (r != 0 && ((r < 0) != (b < 0))) r += b;\n    return r;"
                if signed else "return b == 0 ? 0 : a % b;")
    else:  # power by squaring, wrapping like numpy; negative exponents are flagged
        body = (f"{u} base = ({u})a, acc = 1;\n    {u} e = ({u})b;\n"
                f"    {'if (b < 0) return 0;' if signed else ''}\n"
                "    while (e) { if (e & 1) acc *= base; base *= base; e >>= 1; }\n"
                f"    return ({t})acc;")
    return fn, f"static inline {t} {fn}({t} a, {t} b) {{\n    {body}\n}}"


def _f2i(src: str, arg: str, bits: int) -> str:
    """C's truncating conversion with x86's answer (INT_MIN) for NaN and overflow."""
    lim = f"{2.0 ** (bits - 1)!r}"
    return (f"((isnan({arg}) || {arg} >= {lim} || {arg} < -{lim}) ? INT{bits}_MIN : "
            f"(int{bits}_t){arg})")


def cast(src: np.dtype, dst: np.dtype, arg: str, helpers: object) -> str:
    """C for `arg.astype(dst)` of one element, as numpy computes it on x86."""
    out = ctype(dst)
    if dst.kind == "b":
        return f"({arg} != 0)"
    if src.kind != "f" or dst.kind == "f":
        return f"({out}){arg}"
    fn = f"tr_cast_{tag(src)}_{tag(dst)}"
    t = ctype(src)
    if dst.kind == "i" and dst.itemsize == 8:
        body = f"double x = (double)v; return {_f2i(src, 'x', 64)};"
    elif dst.kind == "i" or dst.itemsize <= 2:
        body = f"double x = (double)v; return ({out}){_f2i(src, 'x', 32)};"
    else:
        bits = dst.itemsize * 8
        top = f"{2.0 ** (bits - 1)!r}"
        body = (f"double x = (double)v;\n    if (x >= {top}) {{ double y = x - {top}; "
                f"return ({out})(uint{bits}_t){_f2i(src, 'y', bits)} ^ (({out})1 << {bits - 1}); }}\n"
                f"    return ({out})(uint{bits}_t){_f2i(src, 'x', bits)};")
    helpers.need(fn, f"static inline {out} {fn}({t} v) {{\n    {body}\n}}")
    return f"{fn}({arg})"
