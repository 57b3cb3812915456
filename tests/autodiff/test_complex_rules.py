"""Derivative rules on complex values and FFTs, against central differences.

A complex number is a pair of reals, so each op is an R-linear map on tangents
and JAX's pairing <a, b> = Re(sum(a * b)) (no conjugate) makes the VJP its
transpose: <u, J v> == <J^T u, v>. Each case checks the JVP against central
differences, that identity, and the JVP of the VJP graph against differences
of the VJP (second order). Graphs are built at the IR level and run by the
reference backend, as tests/autodiff/test_rules.py does for real ops.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pytest

import tracer as tr
from tracer.autodiff import jvp_nodes, vjp_nodes
from tracer.backends.python import compile_graph
from tracer.ir import Graph, Op, make_param, tensor_type
from tracer.trace import prims


@dataclass
class Case:
    op: Op
    inputs: list[Callable[[np.random.Generator], np.ndarray]]
    attrs: dict[str, Any] = field(default_factory=dict)
    name: str = ""

    def __str__(self) -> str:
        return f"{self.op.value}{'-' + self.name if self.name else ''}"


S = (3, 4)


def cnormal(*shape, re=(-1.0, 1.0), im=(-1.0, 1.0)):
    return lambda rng: rng.uniform(*re, size=shape) + 1j * rng.uniform(*im, size=shape)


def normal(*shape):
    return lambda rng: rng.normal(size=shape)


RIGHT = cnormal(*S, re=(0.5, 2.0))          # away from the cuts on the negative real axis
SMALL = cnormal(*S, re=(-0.6, 0.6), im=(-0.6, 0.6))
_DOMAINS = {Op.LOG: RIGHT, Op.LOG2: RIGHT, Op.LOG10: RIGHT, Op.LOG1P: RIGHT, Op.SQRT: RIGHT,
            Op.ARCSIN: SMALL, Op.ARCCOS: SMALL, Op.ARCTAN: SMALL, Op.ARCSINH: SMALL,
            Op.ARCTANH: SMALL, Op.ARCCOSH: cnormal(*S, re=(1.5, 3.0)), Op.TAN: SMALL}
UNARY = [Op.NEG, Op.ABS, Op.EXP, Op.EXP2, Op.EXPM1, Op.LOG, Op.LOG2, Op.LOG10, Op.LOG1P,
         Op.SQRT, Op.SIN, Op.COS, Op.TAN, Op.ARCSIN, Op.ARCCOS, Op.ARCTAN, Op.SINH, Op.COSH,
         Op.TANH, Op.ARCSINH, Op.ARCCOSH, Op.ARCTANH, Op.REAL, Op.IMAG, Op.CONJ]


def _fft(kind, axes, norm="backward", **more):
    return {"kind": kind, "axes": axes, "norm": norm, **more}


CASES = [Case(op, [_DOMAINS.get(op, cnormal(*S))]) for op in UNARY]
CASES += [Case(op, [cnormal(*S), cnormal(*S)]) for op in (Op.ADD, Op.SUB, Op.MUL)]
CASES += [
    Case(Op.DIV, [cnormal(*S), RIGHT]),
    Case(Op.POW, [RIGHT, cnormal(*S)]),
    Case(Op.COMPLEX, [normal(*S), normal(*S)]),
    Case(Op.CAST, [cnormal(*S)], {"dtype": np.dtype(np.float64)}, name="to-real"),
    Case(Op.CAST, [normal(*S)], {"dtype": np.dtype(np.complex128)}, name="from-real"),
    Case(Op.REDUCE_SUM, [cnormal(*S)], {"axes": (1,)}),
    Case(Op.REDUCE_PROD, [cnormal(*S)], {"axes": (0,)}),
    Case(Op.CUMPROD, [cnormal(*S)], {"axis": 1}),
    Case(Op.DOT_GENERAL, [cnormal(3, 4), cnormal(4, 2)],
         {"contract": ((1,), (0,)), "batch": ((), ())}),
    Case(Op.FFT, [cnormal(5, 6)], _fft("fft", (1,)), name="fft"),
    Case(Op.FFT, [cnormal(5, 6)], _fft("ifft", (0, 1), "ortho"), name="ifft2-ortho"),
    Case(Op.FFT, [cnormal(4, 6)], _fft("fft", (1, 0), "forward"), name="fftn-forward"),
    Case(Op.FFT, [normal(3, 6)], _fft("rfft", (1,)), name="rfft-even"),
    Case(Op.FFT, [normal(3, 7)], _fft("rfft", (1,), "ortho"), name="rfft-odd"),
    Case(Op.FFT, [normal(4, 6)], _fft("rfft", (1, 0), "forward"), name="rfftn"),
    Case(Op.FFT, [cnormal(3, 4)], _fft("irfft", (1,), n=6), name="irfft-even"),
    Case(Op.FFT, [cnormal(3, 4)], _fft("irfft", (1,), "ortho", n=7), name="irfft-odd"),
    Case(Op.FFT, [cnormal(3, 4)], _fft("irfft", (0,), "forward", n=5), name="irfft-axis0"),
    Case(Op.FFT, [cnormal(5, 4)], _fft("irfft", (0, 1), n=6), name="irfftn"),
]
CHECKED = {c.op for c in CASES}


def _pair(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.real(np.sum(a * b)))


def _like(rng: np.random.Generator, x: np.ndarray) -> np.ndarray:
    v = rng.normal(size=x.shape)
    return v + 1j * rng.normal(size=x.shape) if x.dtype.kind == "c" else v


def _run(inputs, outputs, values):
    return compile_graph(Graph(tuple(inputs), tuple(outputs)))(values)


def _zeros(nodes, like):
    return [g if g is not None else prims.full(p.shape, 0, p.dtype) for g, p in zip(nodes, like)]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_complex_jvp_matches_differences_and_vjp_is_its_transpose(case: Case):
    rng = np.random.default_rng(abs(hash(str(case))) % 2**32)
    xs = [make(rng) for make in case.inputs]
    params = [make_param(tensor_type(x.dtype, x.shape)) for x in xs]
    out = prims.bind(case.op, params, **case.attrs)
    tangents = [make_param(p.type) for p in params]
    (tout,) = jvp_nodes([out], dict(zip(params, tangents)))
    ct = make_param(out.type)
    grads = _zeros(vjp_nodes([out], [ct], params), params)
    vs = [_like(rng, x) for x in xs]
    u = _like(rng, np.empty(out.shape, out.dtype))

    (jv,) = _run(params + tangents, [tout], xs + vs)
    eps = 1e-6
    f = compile_graph(Graph(tuple(params), (out,)))
    plus = f([x + eps * v for x, v in zip(xs, vs)])[0]
    minus = f([x - eps * v for x, v in zip(xs, vs)])[0]
    np.testing.assert_allclose(jv, (plus - minus) / (2 * eps), rtol=1e-6, atol=1e-6)

    jtu = _run(params + [ct], grads, xs + [u])
    lhs, rhs = _pair(u, jv), sum(_pair(g, v) for g, v in zip(jtu, vs))
    assert abs(lhs - rhs) <= 1e-10 * max(1.0, abs(lhs), np.abs(u).sum() * np.abs(jv).max(initial=0))

    tgrads = _zeros(jvp_nodes(grads, dict(zip(params, tangents))), params)
    second = _run(params + tangents + [ct], tgrads, xs + vs + [u])
    back = compile_graph(Graph(tuple(params + [ct]), tuple(grads)))
    gp = back([x + eps * v for x, v in zip(xs, vs)] + [u])
    gm = back([x - eps * v for x, v in zip(xs, vs)] + [u])
    for s, a, b in zip(second, gp, gm):
        np.testing.assert_allclose(s, (a - b) / (2 * eps), rtol=1e-5, atol=1e-5)


# JAX's documented values (jax.grad with complex inputs, float64)
def test_grad_follows_jax_convention():
    z = np.complex128(3 + 4j)
    grad = tr.compile(tr.grad(lambda z: np.real(z) ** 2 + np.imag(z) ** 2), backend="python")
    assert grad(z) == 6 - 8j
    assert np.allclose(tr.grad(lambda z: np.abs(z) ** 2)(z), 6 - 8j)
    w = np.complex128(1 + 2j)
    assert np.allclose(tr.grad(lambda z: np.real(np.exp(z)))(w), np.exp(w))
    assert tr.grad(lambda z: np.imag(z))(w) == -1j
    primal, tangent = tr.jvp(np.exp, (w,), (np.complex128(1j),))
    assert np.allclose(tangent, 1j * np.exp(w))


def test_abs_gradient_at_zero_is_zero():
    g = tr.grad(lambda z: np.sum(np.abs(z)))(np.array([0j, 3 + 4j]))
    np.testing.assert_allclose(g, [0, 0.6 - 0.8j])
