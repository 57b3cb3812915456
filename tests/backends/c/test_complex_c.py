"""Complex values in compiled C (backends/c/complex_ops.py, complex_c.py): random chains
of the ops the fused loops render natively, on special and random values, strided and
broadcast operands, both precisions, equal to numpy bit for bit; what is not native
runs as a numpy step and is equal too."""
from __future__ import annotations

import numpy as np
import pytest

import tracer as tr
from tracer.backends.c.complex_ops import numpy_formula
from tracer.ir import Op

from .support import needs_cc

pytestmark = needs_cc

NATIVE = [
    lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a / b,
    lambda a, b: -a, lambda a, b: np.conj(a), lambda a, b: a * np.abs(b),
    lambda a, b: a.real + 1j * b.imag, lambda a, b: np.where(np.isnan(a), b, a),
    lambda a, b: np.where(a == b, a, b), lambda a, b: a * 2.5, lambda a, b: a / (1 + 2j),
]


def _values(rng, n, dtype):
    info = np.finfo(np.empty((), dtype).real.dtype)
    parts = np.array([0.0, -0.0, 1.0, -2.5, info.tiny * 4, info.max / 4, np.inf, -np.inf,
                      np.nan], info.dtype)
    z = np.empty(n, dtype)
    for part in (z.real, z.imag):
        part[...] = np.where(rng.random(n) < 0.2, rng.choice(parts, n), rng.standard_normal(n))
    return z


def _program(rng, depth):
    steps = [NATIVE[i] for i in rng.integers(0, len(NATIVE), depth)]
    swaps = rng.random(depth) < 0.5

    def program(a, b):
        for step, swap in zip(steps, swaps):
            a, b = (step(a, b), a) if not swap else (step(b, a), b)
        return a
    return program


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
@pytest.mark.parametrize("seed", range(6))
def test_random_native_chains_equal_numpy_bit_for_bit(seed, dtype):
    rng = np.random.default_rng(seed)
    program = _program(rng, int(rng.integers(2, 7)))
    a = _values(rng, 300, dtype)
    b = _values(rng, 600, dtype)[::2]            # strided
    compiled = tr.compile(program, backend="c")
    assert "numpy step" not in compiled.lower(a, b).source()
    with np.errstate(all="ignore"):
        want = program(a, b)
        got = compiled(a, b)
        bcast = compiled(a.reshape(3, 100), b[:100])         # broadcast rows
        bwant = program(a.reshape(3, 100), b[:100])
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(bcast, bwant)


def test_the_probed_formulas_are_known_on_this_machine():
    """numpy's complex multiply and abs are recognised (else they would run in numpy)."""
    for dtype in (np.complex64, np.complex128):
        assert numpy_formula(Op.MUL, np.dtype(dtype)) in ("plain", "fma")
        assert numpy_formula(Op.ABS, np.dtype(dtype)) in ("plain", "fma")


def test_casts_between_precisions_keep_the_rounding(rng):
    """gcc's SLP vectorizer dropped a c128 -> c64 -> c128 round trip (complex_ops.NO_SLP)."""
    z = rng.standard_normal(1000) + 1j * rng.standard_normal(1000)
    for fn in (lambda v: v.astype(np.complex64).astype(np.complex128) + v,
               lambda v: v.real.astype(np.float32) + 1j * v.imag.astype(np.float32),
               lambda v: (v.astype(np.complex64) * np.complex64(1 + 1j)).astype(np.complex128)):
        for n in (1, 3, 1000):
            np.testing.assert_array_equal(tr.compile(fn, backend="c")(z[:n]), fn(z[:n]))


def test_transcendentals_and_reductions_run_as_numpy_steps(rng):
    z = rng.standard_normal((4, 50)) + 1j * rng.standard_normal((4, 50))

    def fn(v):
        return np.exp(v).sum(axis=1) + np.sqrt(v * v)[:, 0] @ np.ones(4)

    compiled = tr.compile(fn, backend="c")
    assert "numpy step" in compiled.lower(z).source()
    np.testing.assert_array_equal(compiled(z), fn(z))


def test_as_text_marks_the_complex_numpy_steps():
    z = np.ones(4, complex)
    text = tr.compile(lambda v: np.exp(v) * v, backend="c").lower(z).as_text()
    lines = {line.split("=")[1].split()[0]: line for line in text.splitlines() if " = " in line}
    assert lines["exp"].endswith("# numpy fallback")
    assert "numpy" not in lines["mul"]
