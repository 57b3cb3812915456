"""The numpy operations fuzzed programs are composed of: one table of generators.

Each entry builds one line of a program from operands in the pool: `make(g, x)` returns
a `Step` (the Python expression text, the operands it reads and how exact numpy's result
is) or None when the op does not apply to `x`. The generator evaluates every line with
numpy while it builds the program, so an entry can read `x.array` (numpy's value) to pick
valid axes, shapes and indices, and now and then deliberately invalid ones (numpy's error
must then be tracer's).

How exact the result is decides how it is compared (see runner.py):
  EXACT  numpy's result is exactly rounded (+ - * / sqrt, comparisons, min/max, casts,
         layout, integer arithmetic): tracer's must be bit-identical.
  APPROX a float result of libm-style or reordered computation (exp, sum, matmul):
         compared with a tolerance.
  LOOSE  a discontinuous function (comparison, floor, cast to int, argmax, ...) of an
         approximate value: only dtype, shape and errors are compared.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .values import DTYPES, literal, python_scalar

EXACT, APPROX, LOOSE = 0, 1, 2


@dataclass
class Value:
    name: str
    array: Any            # numpy's value
    taint: int            # EXACT, APPROX or LOOSE
    mag: float = 1.0      # the largest finite magnitude this value was computed from


@dataclass
class Step:
    text: str
    reads: Sequence[Value]
    rule: str = "exact"   # exact | approx | jump: how the result's taint follows the reads
    after: Sequence[str] = field(default_factory=tuple)   # extra statements (setitem)


def _is_float(v: Any) -> bool:
    return np.asarray(v).dtype.kind == "f"


def result_taint(step: Step, result: Any) -> int:
    worst = max((v.taint for v in step.reads), default=EXACT)
    if step.rule == "exact":
        return worst
    if step.rule == "approx":
        floats = _is_float(result) or any(_is_float(v.array) for v in step.reads)
        return max(worst, APPROX) if floats else worst
    return LOOSE if worst >= APPROX else EXACT      # jump


# -- elementwise ------------------------------------------------------------------
UNARY = {
    "negative": "exact", "absolute": "exact", "fabs": "exact", "positive": "exact",
    "square": "exact", "sqrt": "exact", "reciprocal": "exact", "deg2rad": "exact",
    "rad2deg": "exact", "invert": "exact",
    "exp": "approx", "exp2": "approx", "expm1": "approx", "log": "approx", "log2": "approx",
    "log10": "approx", "log1p": "approx", "cbrt": "approx", "sin": "approx", "cos": "approx",
    "tan": "approx", "arcsin": "approx", "arccos": "approx", "arctan": "approx",
    "sinh": "approx", "cosh": "approx", "tanh": "approx", "arcsinh": "approx",
    "arccosh": "approx", "arctanh": "approx",
    "sign": "jump", "floor": "jump", "ceil": "jump", "trunc": "jump", "rint": "jump",
    "logical_not": "jump", "isnan": "jump", "isinf": "jump", "isfinite": "jump",
    "signbit": "jump", "spacing": "jump",
}
BINARY = {
    "add": "exact", "subtract": "exact", "multiply": "exact", "true_divide": "exact",
    "maximum": "exact", "minimum": "exact", "fmax": "exact", "fmin": "exact",
    "bitwise_and": "exact", "bitwise_or": "exact", "bitwise_xor": "exact",
    "left_shift": "exact", "right_shift": "exact",
    "power": "approx", "float_power": "approx", "arctan2": "approx", "hypot": "approx",
    "logaddexp": "approx", "logaddexp2": "approx",
    "floor_divide": "jump", "remainder": "jump", "fmod": "jump", "copysign": "jump",
    "nextafter": "jump", "heaviside": "jump",
    "equal": "jump", "not_equal": "jump", "less": "jump", "less_equal": "jump",
    "greater": "jump", "greater_equal": "jump", "logical_and": "jump", "logical_or": "jump",
    "logical_xor": "jump",
}
OPERATORS = {"+": "exact", "-": "exact", "*": "exact", "/": "exact", "//": "jump",
             "%": "jump", "**": "approx", "&": "exact", "|": "exact", "^": "exact",
             "<<": "exact", ">>": "exact", "<": "jump", "<=": "jump", ">": "jump",
             ">=": "jump", "==": "jump", "!=": "jump"}


def _unary_ufunc(g, x: Value) -> Step:
    name = g.choice(sorted(UNARY))
    return Step(f"np.{name}({x.name})", [x], UNARY[name])


def _unary_operator(g, x: Value) -> Step:
    op = g.choice(["-", "~", "abs", "+"])
    text = f"abs({x.name})" if op == "abs" else f"({op}{x.name})"
    return Step(text, [x], "exact")


def _operand(g, x: Value) -> tuple[str, list[Value]]:
    """A second operand for x: a pool value that broadcasts (most often), a Python
    scalar literal, or the program's traced Python scalar."""
    r = g.rng.random()
    if r < 0.2:
        return literal(python_scalar(g.rng)), []
    if r < 0.3 and g.scalar is not None:
        return g.scalar.name, [g.scalar]
    y = g.partner(x)
    return y.name, [y]


def _binary_ufunc(g, x: Value) -> Step:
    name = g.choice(sorted(BINARY))
    other, reads = _operand(g, x)
    args = [x.name, other] if g.rng.random() < 0.7 else [other, x.name]
    return Step(f"np.{name}({', '.join(args)})", [x, *reads], BINARY[name])


def _binary_operator(g, x: Value) -> Step:
    op = g.choice(sorted(OPERATORS))
    other, reads = _operand(g, x)
    left, right = (x.name, other) if g.rng.random() < 0.7 else (other, x.name)
    return Step(f"({left} {op} {right})", [x, *reads], OPERATORS[op])


def _where(g, x: Value) -> Step:
    y = g.partner(x)
    cond = g.partner(x)
    other = literal(python_scalar(g.rng)) if g.rng.random() < 0.3 else y.name
    c = cond.name if np.asarray(cond.array).dtype == bool else f"({cond.name} > 0)"
    step = Step(f"np.where({c}, {x.name}, {other})", [x, y], "exact")
    if cond.taint:      # a condition of inexact values picks unpredictably
        step.rule = "jump"
    return step


def _clip(g, x: Value) -> Step:
    lo, hi = sorted(python_scalar(g.rng, small=True) for _ in range(2))
    return Step(f"np.clip({x.name}, {lo}, {hi})", [x], "exact")


def _cast(g, x: Value) -> Step:
    dtype = g.choice(list(DTYPES))
    dt = np.dtype(dtype)
    src = np.asarray(x.array).dtype
    # float -> integer of an out-of-range value is platform-defined in numpy: keep it
    # (tracer matches numpy's x86 results) unless the value is inexact
    rule = "jump" if (dt.kind in "biu" and src.kind == "f") else "exact"
    if dt.kind == "f" and dt.itemsize < src.itemsize:
        rule = "exact"
    return Step(f"{x.name}.astype(np.{dtype})", [x], rule)


# -- reductions ---------------------------------------------------------------------
REDUCTIONS = {"sum": "approx", "prod": "approx", "max": "exact", "min": "exact",
              "mean": "approx", "any": "jump", "all": "jump", "std": "approx",
              "var": "approx", "argmax": "jump", "argmin": "jump", "count_nonzero": "jump",
              "cumsum": "approx", "cumprod": "approx"}
ONE_AXIS = {"argmax", "argmin", "cumsum", "cumprod"}


def _axis_arg(g, ndim: int, one: bool) -> str | None:
    r = g.rng.random()
    if ndim == 0 or r < 0.25:
        return None if not one or r < 0.5 else "0"
    axis = int(g.rng.integers(-ndim, ndim))
    if g.rng.random() < 0.03:
        axis = ndim + 1                          # numpy's AxisError
    if one or g.rng.random() < 0.6:
        return str(axis)
    axes = sorted(set(int(a) for a in g.rng.integers(0, ndim, int(g.rng.integers(1, ndim + 1)))))
    return repr(tuple(axes))


def _reduction(g, x: Value) -> Step:
    name = g.choice(sorted(REDUCTIONS))
    one = name in ONE_AXIS
    axis = _axis_arg(g, np.ndim(x.array), one)
    args = [x.name] + ([f"axis={axis}"] if axis is not None else [])
    if name not in ONE_AXIS and name != "count_nonzero" and g.rng.random() < 0.3:
        args.append("keepdims=True")
    if name in ("std", "var") and g.rng.random() < 0.3:
        args.append("ddof=1")
    if g.rng.random() < 0.4 and name not in ("count_nonzero",):
        return Step(f"{x.name}.{name}({', '.join(args[1:])})", [x], REDUCTIONS[name])
    return Step(f"np.{name}({', '.join(args)})", [x], REDUCTIONS[name])


def _matmul(g, x: Value) -> Step | None:
    a = np.asarray(x.array)
    if a.ndim == 0:
        return None
    if g.rng.random() < 0.5:
        other = f"{x.name}.T" if a.ndim == 2 else f"np.swapaxes({x.name}, -1, -2)" \
            if a.ndim > 2 else x.name
        return Step(f"({x.name} @ {other})", [x], "approx")
    y = g.partner(x)
    fn = g.choice(["np.matmul", "np.dot"])
    return Step(f"{fn}({x.name}, {y.name})", [x, y], "approx")


# -- layout -------------------------------------------------------------------------
def _factor_shape(g, shape: tuple[int, ...]) -> tuple[int, ...]:
    size = int(np.prod(shape))
    if size == 0:
        return g.choice([(0,), (0, 3), (2, 0), (0, 1, 0)])
    dims = []
    rest = size
    for p in (2, 3, 5, 2, 3, 2):
        if rest % p == 0 and g.rng.random() < 0.5:
            dims.append(p)
            rest //= p
    dims.append(rest)
    g.rng.shuffle(dims)
    if g.rng.random() < 0.3:
        dims.insert(int(g.rng.integers(len(dims) + 1)), 1)
    return tuple(int(d) for d in dims)


def _reshape(g, x: Value) -> Step:
    shape = list(_factor_shape(g, np.shape(x.array)))
    if g.rng.random() < 0.3 and shape and min(shape) > 0:
        shape[int(g.rng.integers(len(shape)))] = -1
    if g.rng.random() < 0.03:
        shape = [7, 11]                          # numpy's ValueError, mostly
    if g.rng.random() < 0.4:
        return Step(f"{x.name}.reshape({tuple(shape)!r})", [x])
    return Step(f"np.reshape({x.name}, {tuple(shape)!r})", [x])


def _transpose(g, x: Value) -> Step | None:
    nd = np.ndim(x.array)
    r = g.rng.random()
    if r < 0.3:
        return Step(f"{x.name}.T", [x])
    if nd < 2:
        return None
    if r < 0.5:
        a, b = (int(v) for v in g.rng.integers(-nd, nd, 2))
        return Step(f"np.swapaxes({x.name}, {a}, {b})", [x])
    if r < 0.65:
        a, b = (int(v) for v in g.rng.integers(-nd, nd, 2))
        return Step(f"np.moveaxis({x.name}, {a}, {b})", [x])
    perm = tuple(int(p) for p in g.rng.permutation(nd))
    return Step(f"np.transpose({x.name}, {perm!r})", [x])


def _expand(g, x: Value) -> Step:
    nd = np.ndim(x.array)
    r = g.rng.random()
    if r < 0.3:
        return Step(f"np.expand_dims({x.name}, {int(g.rng.integers(-nd - 1, nd + 1))})", [x])
    if r < 0.5:
        ones = [i for i, d in enumerate(np.shape(x.array)) if d == 1]
        return Step(f"np.squeeze({x.name}{', ' + repr(tuple(ones)) if ones else ''})", [x])
    if r < 0.65:
        return Step(f"{x.name}.ravel()" if g.rng.random() < 0.5 else f"{x.name}.flatten()", [x])
    if r < 0.8:
        return Step(f"{x.name}[..., None]" if g.rng.random() < 0.5 else f"{x.name}[None]", [x])
    lead = int(g.rng.integers(1, 3))
    shape = tuple(int(d) for d in g.rng.integers(0, 3, lead)) + tuple(
        int(g.rng.integers(1, 4)) if d == 1 and g.rng.random() < 0.5 else d
        for d in np.shape(x.array))
    return Step(f"np.broadcast_to({x.name}, {shape!r})", [x])


def _rearrange(g, x: Value) -> Step | None:
    nd = np.ndim(x.array)
    r = g.rng.random()
    if nd == 0:
        return Step(f"np.atleast_1d({x.name})", [x])
    axis = int(g.rng.integers(-nd, nd))
    if r < 0.2:
        return Step(f"np.flip({x.name}, {axis})", [x])
    if r < 0.35:
        return Step(f"np.roll({x.name}, {int(g.rng.integers(-4, 5))}, axis={axis})", [x])
    if r < 0.5:
        return Step(f"np.repeat({x.name}, {int(g.rng.integers(0, 3))}, axis={axis})", [x])
    if r < 0.6:
        reps = tuple(int(v) for v in g.rng.integers(1, 3, int(g.rng.integers(1, 3))))
        return Step(f"np.tile({x.name}, {reps!r})", [x])
    if r < 0.75:
        return Step(f"np.diff({x.name}, axis={axis})", [x])
    if r < 0.85 and nd >= 2:
        return Step(f"np.{g.choice(['triu', 'tril'])}({x.name}, {int(g.rng.integers(-2, 3))})",
                    [x])
    pad = int(g.rng.integers(0, 3))
    return Step(f"np.pad({x.name}, {pad})", [x])


def _join(g, x: Value) -> Step:
    y = g.partner(x, same_rank=True)
    nd = np.ndim(x.array)
    r = g.rng.random()
    if r < 0.5 and nd:
        axis = int(g.rng.integers(-nd, nd))
        return Step(f"np.concatenate([{x.name}, {y.name}], axis={axis})", [x, y])
    if r < 0.8:
        axis = int(g.rng.integers(-nd - 1, nd + 1))
        return Step(f"np.stack([{x.name}, {y.name}], axis={axis})", [x, y])
    fn = g.choice(["hstack", "vstack"])
    return Step(f"np.{fn}([{x.name}, {y.name}])", [x, y])


# -- indexing -----------------------------------------------------------------------
def _slice_text(g, n: int) -> str:
    def bound() -> str:
        return "" if g.rng.random() < 0.4 else str(int(g.rng.integers(-n - 2, n + 3)))
    step = g.choice(["", "", "1", "2", "-1", "-2", "3"])
    return f"{bound()}:{bound()}" + (f":{step}" if step else "")


def _basic_index(g, x: Value) -> Step | None:
    shape = np.shape(x.array)
    if not shape:
        return Step(f"{x.name}[{g.choice(['...', '()', 'None', 'True', 'False'])}]", [x])
    parts = []
    for n in shape[: int(g.rng.integers(1, len(shape) + 1))]:
        r = g.rng.random()
        if r < 0.55:
            parts.append(_slice_text(g, n))
        elif r < 0.8:
            parts.append(str(int(g.rng.integers(-n - 1, n + 1)) if n else 0))
        elif r < 0.9:
            parts.append("None")
        else:
            parts.append("...")
            break
    if g.rng.random() < 0.08:
        parts = [g.choice(["True", "False"])] + parts[:1]
    return Step(f"{x.name}[{', '.join(parts)}]", [x])


def _advanced_index(g, x: Value) -> Step | None:
    shape = np.shape(x.array)
    if not shape:
        return None
    n = shape[0]
    r = g.rng.random()
    if r < 0.35:
        idx = [int(i) for i in g.rng.integers(-n - (g.rng.random() < 0.1), max(n, 1), 3)] \
            if n else []
        return Step(f"{x.name}[np.array({idx!r}, dtype=np.intp)]", [x])
    if r < 0.55:
        mask = [bool(b) for b in g.rng.random(n) < 0.5]
        return Step(f"{x.name}[np.array({mask!r}, dtype=bool)]", [x])
    if r < 0.7 and len(shape) >= 2:
        m = shape[1]
        i = [int(v) for v in g.rng.integers(0, max(n, 1), 2)] if n else []
        j = [int(v) for v in g.rng.integers(0, max(m, 1), 2)] if m and n else []
        return Step(f"{x.name}[np.array({i!r}, dtype=np.intp), np.array({j!r}, dtype=np.intp)]",
                    [x])
    if g.index is not None:
        # a traced Python int: a gather whose bounds are checked when the program runs
        return Step(f"{x.name}[{g.index.name}]", [x, g.index])
    idx = [int(i) for i in g.rng.integers(-n, max(n, 1), 2)] if n else []
    axis = int(g.rng.integers(0, len(shape)))
    return Step(f"np.take({x.name}, {idx!r}, axis={axis})", [x])


def _setitem(g, x: Value) -> Step | None:
    shape = np.shape(x.array)
    if not shape:
        return None
    target = g.fresh()
    n = shape[0]
    key = _slice_text(g, n) if g.rng.random() < 0.6 else str(int(g.rng.integers(-n, max(n, 1))))
    if g.rng.random() < 0.5:
        value, reads = literal(python_scalar(g.rng, small=True)), [x]
    else:
        value, reads = f"{x.name}[{key}][::-1]", [x]
    return Step(f"{x.name}.copy()", reads, "exact", after=(f"{target}[{key}] = {value}",))


LOOP_BODIES = ("{acc} * 0.5 + _r", "np.maximum({acc}, _r)", "{acc} + _r * _r",
               "np.where(_r > 0, {acc}, _r)", "{acc} - _r")


def _row_loop(g, x: Value) -> Step | None:
    """A Python loop over the rows (traced as one Scan), or builtin sum over them."""
    if np.ndim(x.array) == 0:
        return None
    if g.rng.random() < 0.3:
        return Step(f"sum({x.name})", [x], "approx")
    acc = g.fresh()
    body = g.choice(list(LOOP_BODIES)).format(acc=acc)
    loop = f"for _r in {x.name}[1:]:\n        {acc} = {body}"
    return Step(f"{x.name}[0]", [x], "approx", after=(loop,))


Maker = Callable[[Any, Value], "Step | None"]
TABLE: list[tuple[float, str, Maker]] = [
    (3.0, "unary_ufunc", _unary_ufunc),
    (1.0, "unary_operator", _unary_operator),
    (3.0, "binary_ufunc", _binary_ufunc),
    (3.0, "binary_operator", _binary_operator),
    (1.0, "where", _where),
    (0.5, "clip", _clip),
    (1.2, "cast", _cast),
    (2.5, "reduction", _reduction),
    (0.8, "matmul", _matmul),
    (1.0, "reshape", _reshape),
    (1.0, "transpose", _transpose),
    (1.0, "expand", _expand),
    (1.2, "rearrange", _rearrange),
    (0.8, "join", _join),
    (1.5, "basic_index", _basic_index),
    (1.2, "advanced_index", _advanced_index),
    (0.6, "setitem", _setitem),
    (0.5, "row_loop", _row_loop),
]
