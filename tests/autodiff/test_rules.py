"""Every rule of both tables against central differences and each other.

For each differentiable op, on random points: the R-operator (jvp) agrees
with central finite differences in float64, the L-operator (vjp) is its
transpose (<u, J v> == <J^T u, v> to 1e-10), and, to second order, the
R-operator of the vjp graph agrees with finite differences of the vjp.
Graphs are built at the IR level and run by the reference backend, so each
rule is checked alone, independently of the numpy surface.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from tracer.autodiff import JVP_RULES, VJP_RULES, jvp_nodes, vjp_nodes
from tracer.backends.python import compile_graph
from tracer.ir import Graph, Op, make_param, tensor_type
from tracer.ir.ops import LEAF, NON_DIFFERENTIABLE, POST_AUTODIFF
from tracer.trace import prims

F64 = np.float64


@dataclass
class Case:
    op: Op
    inputs: list[Callable[[np.random.Generator], np.ndarray]]
    attrs: dict[str, Any] = field(default_factory=dict)
    name: str = ""
    consts: tuple[int, ...] = ()  # float inputs held constant (not differentiated)

    def __str__(self) -> str:
        return f"{self.op.value}{'-' + self.name if self.name else ''}"


def normal(*shape):
    return lambda rng: rng.normal(size=shape)


def uniform(lo, hi, *shape):
    return lambda rng: rng.uniform(lo, hi, size=shape)


def with_zeros(*shape):
    def make(rng):
        x = rng.normal(size=shape)
        x.flat[:: max(1, x.size // 3)] = 0.0
        return x
    return make


def fixed(value):
    return lambda rng: np.asarray(value)


def bools(*shape):
    return lambda rng: rng.random(shape) < 0.5


S = (3, 4)
_DOMAINS = {
    Op.LOG: uniform(0.5, 2, *S), Op.LOG2: uniform(0.5, 2, *S), Op.LOG10: uniform(0.5, 2, *S),
    Op.LOG1P: uniform(-0.5, 2, *S), Op.SQRT: uniform(0.5, 2, *S), Op.CBRT: uniform(0.5, 2, *S),
    Op.ARCSIN: uniform(-0.9, 0.9, *S), Op.ARCCOS: uniform(-0.9, 0.9, *S),
    Op.ARCTANH: uniform(-0.9, 0.9, *S), Op.ARCCOSH: uniform(1.2, 3, *S),
    Op.TAN: uniform(-1.2, 1.2, *S), Op.GAMMALN: uniform(0.2, 6, *S),
}
UNARY_SMOOTH = [Op.NEG, Op.ABS, Op.EXP, Op.EXP2, Op.EXPM1, Op.LOG, Op.LOG2, Op.LOG10,
                Op.LOG1P, Op.SQRT, Op.CBRT, Op.SIN, Op.COS, Op.TAN, Op.ARCSIN, Op.ARCCOS,
                Op.ARCTAN, Op.SINH, Op.COSH, Op.TANH, Op.ARCSINH, Op.ARCCOSH, Op.ARCTANH,
                Op.ERF, Op.ERFC, Op.GAMMALN, Op.SIGMOID]
BINARY_SMOOTH = [Op.ADD, Op.SUB, Op.MUL, Op.MAXIMUM, Op.MINIMUM, Op.FMAX, Op.FMIN,
                 Op.ARCTAN2, Op.HYPOT, Op.LOGADDEXP, Op.LOGADDEXP2, Op.COPYSIGN]

CASES = [Case(op, [_DOMAINS.get(op, normal(*S))]) for op in UNARY_SMOOTH]
CASES += [Case(Op.GAMMALN, [uniform(-2.8, -2.2, *S)], name="negative"),
          Case(Op.GAMMALN, [uniform(20, 200, *S)], name="large")]
CASES += [Case(op, [normal(*S), normal(*S)]) for op in BINARY_SMOOTH]
CASES += [
    Case(Op.DIV, [normal(*S), uniform(0.5, 2, *S)]),
    Case(Op.POW, [uniform(0.5, 2, *S), normal(*S)]),
    Case(Op.POW, [normal(*S), fixed(np.full(S, 3.0))], name="const3", consts=(1,)),
    Case(Op.POW, [normal(*S), fixed(np.full(S, 2.0))], name="const2", consts=(1,)),
    Case(Op.MOD, [uniform(0.1, 0.9, *S), uniform(1.5, 2, *S)]),
    Case(Op.FMOD, [uniform(-3, 3, *S), uniform(0.7, 1.3, *S)]),
    Case(Op.NEXTAFTER, [normal(*S), normal(*S)]),
    Case(Op.SELECT, [bools(*S), normal(*S), normal(*S)]),
    Case(Op.CAST, [normal(*S)], {"dtype": np.dtype(F64)}, name="f64"),
    Case(Op.IFELSE, [fixed(np.True_), normal(*S), normal(*S)], name="then"),
    Case(Op.IFELSE, [fixed(np.False_), normal(*S), normal(*S)], name="else"),
    Case(Op.REDUCE_SUM, [normal(*S)], {"axes": (1,)}),
    Case(Op.REDUCE_SUM, [normal(2, 3, 4)], {"axes": (0, 2)}, name="two"),
    Case(Op.REDUCE_PROD, [normal(*S)], {"axes": (1,)}),
    Case(Op.REDUCE_PROD, [with_zeros(2, 3, 4)], {"axes": (0, 2)}, name="zeros"),
    Case(Op.REDUCE_MAX, [normal(*S)], {"axes": (0,)}),
    Case(Op.REDUCE_MAX, [normal(2, 3, 4)], {"axes": (0, 1, 2)}, name="all"),
    Case(Op.REDUCE_MIN, [normal(*S)], {"axes": (1,)}),
    Case(Op.CUMSUM, [normal(*S)], {"axis": 1}),
    Case(Op.CUMSUM, [normal(*S)], {"axis": 0}, name="axis0"),
    Case(Op.CUMPROD, [normal(*S)], {"axis": 1}),
    Case(Op.CUMPROD, [with_zeros(4, 5)], {"axis": 1}, name="zeros"),
    Case(Op.RESHAPE, [normal(*S)], {"shape": (2, 6)}),
    Case(Op.TRANSPOSE, [normal(2, 3, 4)], {"perm": (2, 0, 1)}),
    Case(Op.BROADCAST_TO, [normal(3, 1)], {"shape": (2, 3, 4)}),
    Case(Op.SLICE, [normal(5, 6)], {"starts": (1, 0), "steps": (1, 2), "sizes": (3, 3)}),
    Case(Op.SLICE, [normal(5, 6)], {"starts": (4, 5), "steps": (-2, -1), "sizes": (2, 4)},
         name="negative"),
    Case(Op.SLICE, [normal(5, 6)], {"starts": (0, 2), "steps": (3, 1), "sizes": (2, 0)},
         name="empty"),
    Case(Op.CONCATENATE, [normal(2, 3), normal(2, 1), normal(2, 2)], {"axis": 1}),
    Case(Op.UPDATE_SLICE, [normal(5, 6), normal(2, 3)], {"starts": (4, 1), "steps": (-2, 2)}),
    Case(Op.GATHER, [normal(5, 3), fixed(np.array([0, 2, 2, -1]))], {"axis": 0}),
    Case(Op.GATHER, [normal(2, 5, 4), fixed(np.array([[1, 1], [3, 0]])),
                     fixed(np.array([[0, 0], [2, 3]]))], {"axis": 1}, name="2d"),
    Case(Op.SCATTER_ADD, [normal(5, 3), fixed(np.array([1, 1, 4])), normal(3, 3)], {"axis": 0}),
    Case(Op.SCATTER_SET, [normal(5, 3), fixed(np.array([1, 1, 4, -4])), normal(4, 3)],
         {"axis": 0}),
    Case(Op.SCATTER_SET, [normal(2, 5, 4), fixed(np.array([[1, 3], [1, 0]])), normal(2, 2, 2, 4)],
         {"axis": 1}, name="2d"),
    Case(Op.SCATTER_MAX, [normal(5, 3), fixed(np.array([1, 1, 4, 1])), normal(4, 3)],
         {"axis": 0}),
    Case(Op.SCATTER_MIN, [normal(3, 5), fixed(np.array([0, 4, 4])), normal(3, 3)],
         {"axis": 1}),
    Case(Op.SCATTER_MUL, [normal(5, 3), fixed(np.array([1, 1, 4, 1])), normal(4, 3)],
         {"axis": 0}),
    Case(Op.DOT_GENERAL, [normal(3, 4), normal(4, 2)],
         {"contract": ((1,), (0,)), "batch": ((), ())}),
    Case(Op.DOT_GENERAL, [normal(2, 3, 4, 5), normal(5, 2, 4, 3)],
         {"contract": ((2, 3), (2, 0)), "batch": ((0,), (1,))}, name="batched"),
    Case(Op.DOT_GENERAL, [normal(4), normal(4)], {"contract": ((0,), (0,)), "batch": ((), ())},
         name="inner"),
]


def spd(*shape):
    """Well-conditioned symmetric positive definite matrices (eigenvalues apart)."""
    def make(rng):
        x = rng.normal(size=shape)
        return x @ np.swapaxes(x, -1, -2) + shape[-1] * np.eye(shape[-1])
    return make


def well_conditioned(*shape):
    return lambda rng: rng.normal(size=shape) + 3 * np.eye(shape[-1])


def lower_tri(*shape):
    return lambda rng: rng.normal(size=shape) + 4 * np.eye(shape[-1])


_TRI = {"lower": True, "transpose": False, "unit": False}
CASES += [       # linear algebra (autodiff/linalg.py); batched where the op allows
    Case(Op.CHOLESKY, [spd(2, 3, 3)]),
    Case(Op.SOLVE, [well_conditioned(2, 3, 3), normal(2, 3, 2)]),
    Case(Op.TRIANGULAR_SOLVE, [lower_tri(3, 3), normal(3, 2)], _TRI),
    Case(Op.TRIANGULAR_SOLVE, [lower_tri(2, 3, 3), normal(2, 3, 2)],
         {"lower": False, "transpose": True, "unit": True}, name="upper-t-unit"),
    Case(Op.SLOGDET, [well_conditioned(2, 3, 3)]),
    Case(Op.EIGH, [spd(2, 3, 3)], {"lower": True, "vectors": False}, name="values"),
    Case(Op.EIGH, [spd(3, 3)], {"lower": False, "vectors": True}),
    Case(Op.SVD, [normal(2, 4, 3)], {"full": False, "vectors": True}, name="tall"),
    Case(Op.SVD, [normal(3, 4)], {"full": False, "vectors": True}, name="wide"),
    Case(Op.SVD, [normal(2, 3, 4)], {"full": True, "vectors": False}, name="values"),
    Case(Op.QR, [normal(2, 4, 3)], {"mode": "reduced"}),
    Case(Op.EXPM, [normal(2, 3, 3)]),
]
CASES += [       # scipy.special (autodiff/special.py); orders held constant
    Case(Op.SPECIAL, [uniform(0.5, 2.5, *S)], {"name": name}, name=name)
    for name in ("gamma", "psi", "i1", "i1e", "j1", "y1", "log_ndtr", "entr")
] + [
    Case(Op.SPECIAL, [uniform(0.5, 2.5, *S), uniform(0.5, 2.5, *S)], {"name": name},
         name=name) for name in ("beta", "betaln", "rel_entr")
] + [
    Case(Op.SPECIAL, [uniform(0.5, 2.5, *S), uniform(0.5, 2.5, *S)], {"name": name},
         name=name, consts=(0,)) for name in ("jv", "ive", "kv", "gammainc", "gammaincc")
]


def _is_float(a: np.ndarray) -> bool:
    return a.dtype.kind == "f"


def _build(case: Case, values: list[np.ndarray]):
    """Params for the float inputs, constants for the rest; the op's node."""
    params, inputs = [], []
    for i, v in enumerate(values):
        if _is_float(v) and i not in case.consts:
            p = make_param(tensor_type(v.dtype, v.shape))
            params.append(p)
            inputs.append(p)
        else:
            inputs.append(prims.const(v))
    return params, prims.bind(case.op, inputs, **case.attrs)


def _run(inputs, outputs, values):
    return compile_graph(Graph(tuple(inputs), tuple(outputs)))(values)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_jvp_matches_central_differences_and_vjp_is_its_transpose(case: Case):
    rng = np.random.default_rng(abs(hash(str(case))) % 2**32)
    values = [make(rng) for make in case.inputs]
    xs = [v for i, v in enumerate(values) if _is_float(v) and i not in case.consts]
    params, out = _build(case, values)
    tangents = [make_param(p.type) for p in params]
    (tout,) = jvp_nodes([out], dict(zip(params, tangents)))
    ct = make_param(out.type)
    grads = vjp_nodes([out], [ct], params)
    assert tout is not None and any(g is not None for g in grads)
    grads = [g if g is not None else prims.full(p.shape, 0, p.dtype) for g, p in zip(grads, params)]
    vs = [rng.normal(size=x.shape) for x in xs]
    u = rng.normal(size=out.shape)

    (jv,) = _run(params + tangents, [tout], xs + vs)
    eps = 1e-6
    f = compile_graph(Graph(tuple(params), (out,)))
    plus = f([x + eps * v for x, v in zip(xs, vs)])[0]
    minus = f([x - eps * v for x, v in zip(xs, vs)])[0]
    np.testing.assert_allclose(jv, (plus - minus) / (2 * eps), rtol=1e-6, atol=1e-6)

    jtu = _run(params + [ct], grads, xs + [u])
    lhs = float(np.sum(u * jv))
    rhs = sum(float(np.sum(g * v)) for g, v in zip(jtu, vs))
    assert abs(lhs - rhs) <= 1e-10 * max(1.0, abs(lhs), np.abs(u).sum() * np.abs(jv).max(initial=0))

    # second order: the R-operator of the L-operator's graph against its differences
    tgrads = jvp_nodes(grads, dict(zip(params, tangents)))
    tgrads = [t if t is not None else prims.full(p.shape, 0, p.dtype)
              for t, p in zip(tgrads, params)]
    second = _run(params + tangents + [ct], tgrads, xs + vs + [u])
    back = compile_graph(Graph(tuple(params + [ct]), tuple(grads)))
    gp = back([x + eps * v for x, v in zip(xs, vs)] + [u])
    gm = back([x - eps * v for x, v in zip(xs, vs)] + [u])
    for s, a, b in zip(second, gp, gm):
        np.testing.assert_allclose(s, (a - b) / (2 * eps), rtol=1e-5, atol=1e-5)


def test_every_op_has_both_rules_or_is_non_differentiable():
    missing = [op for op in Op if op not in LEAF | POST_AUTODIFF and op not in NON_DIFFERENTIABLE
               and (op not in JVP_RULES or op not in VJP_RULES)]
    assert not missing, f"ops without a jvp and a vjp rule: {missing}"
    extra = [op for op in NON_DIFFERENTIABLE if op in JVP_RULES or op in VJP_RULES]
    assert not extra, f"non-differentiable ops with rules: {extra}"


def test_every_differentiable_op_is_checked_numerically():
    # loops are checked against differences in tests/loops/test_scan.py (they need a body)
    checked = {c.op for c in CASES} | {Op.SCAN, Op.SCAN_OUT}
    # complex values and FFTs: tests/autodiff/test_complex_rules.py
    checked |= {Op.REAL, Op.IMAG, Op.CONJ, Op.COMPLEX, Op.FFT}
    unchecked = [op for op in JVP_RULES if op not in checked]
    assert not unchecked, f"no numerical case for {unchecked}"


_FLOAT_NON_DIFFERENTIABLE = sorted(
    (op for op in NON_DIFFERENTIABLE
     if op not in {Op.ARGMAX, Op.ARGMIN} and not op.value.startswith(
         ("logical", "bitwise", "invert", "left", "right"))),  # bool/int operands only
    key=lambda o: o.value)


@pytest.mark.parametrize("op", _FLOAT_NON_DIFFERENTIABLE, ids=lambda o: o.value)
def test_non_differentiable_ops_give_no_tangent_and_no_cotangent(op):
    x = make_param(tensor_type(F64, S))
    unary = {Op.SIGN, Op.FLOOR, Op.CEIL, Op.TRUNC, Op.RINT, Op.ISNAN, Op.ISINF, Op.ISFINITE,
             Op.SIGNBIT, Op.SPACING}
    if op is Op.ARGSORT:
        out = prims.bind(op, [x], axis=1)
    elif op is Op.SEARCHSORTED:
        x = make_param(tensor_type(F64, (5,)))
        out = prims.bind(op, [x, x], side="left")
    else:
        out = prims.bind(op, [x] if op in unary else [x, x])
    assert jvp_nodes([out], {x: make_param(x.type)}) == [None]
    assert vjp_nodes([out], [None], [x]) == [None]
