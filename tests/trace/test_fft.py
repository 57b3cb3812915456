"""np.fft against numpy: every transform with n/s, axes and norm, on both backends
(values, dtypes, shapes, empty batches, NaN), numpy's errors, and gradients of real
losses through transforms against central differences; two user programs: a spectral
derivative and an FFT convolution loss with its gradient."""
from __future__ import annotations

import numpy as np
import pytest

import tracer as tr

BACKENDS = ["python", "c"]
F = np.fft

CASES = {
    "fft": lambda x: F.fft(x), "fft_n_crop": lambda x: F.fft(x, n=5),
    "fft_n_pad_axis0_ortho": lambda x: F.fft(x, n=11, axis=0, norm="ortho"),
    "ifft_forward": lambda x: F.ifft(x, norm="forward"),
    "rfft": lambda x: F.rfft(x.real), "rfft_odd_axis0": lambda x: F.rfft(x.real, n=7, axis=0),
    "irfft": lambda x: F.irfft(x), "irfft_n9": lambda x: F.irfft(x, n=9),
    "irfft_axis0_ortho": lambda x: F.irfft(x, n=4, axis=0, norm="ortho"),
    "fft2": lambda x: F.fft2(x), "ifft2_s": lambda x: F.ifft2(x, s=(3, 5)),
    "fftn_axes": lambda x: F.fftn(x, axes=(1,)), "ifftn": lambda x: F.ifftn(x),
    "rfftn": lambda x: F.rfftn(x.real), "irfftn": lambda x: F.irfftn(x),
    "rfft2_s": lambda x: F.rfft2(x.real, s=(4, 6)), "irfft2_s": lambda x: F.irfft2(x, s=(5, 7)),
    "irfftn_forward": lambda x: F.irfftn(x, s=(3, 5), axes=(0, 1), norm="forward"),
    "fftn_repeated_axis": lambda x: F.fftn(x, axes=(0, 0)),
    "rfftn_repeated_axis": lambda x: F.rfftn(x.real, axes=(1, 0, 1)),
    "hfft": lambda x: F.hfft(x), "ihfft": lambda x: F.ihfft(x.real),
    "fftshift": lambda x: F.fftshift(x), "ifftshift_axis": lambda x: F.ifftshift(x, axes=1),
    "fftfreq": lambda x: F.fftfreq(8, 0.1) * x.real.sum(),
}


def _input(rng, dtype, shape=(6, 8)):
    z = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    return z.astype(dtype) if np.dtype(dtype).kind == "c" else (3 * z.real).astype(dtype)


def _same(got, want, dtype):
    assert got.dtype == want.dtype and got.shape == want.shape
    single = np.dtype(dtype) in (np.dtype(np.complex64), np.dtype(np.float32))
    tol = 1e-4 if single else 1e-12
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol, equal_nan=True)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", [np.complex128, np.complex64, np.float64, np.float32, np.int32])
@pytest.mark.parametrize("name", sorted(CASES))
def test_transforms_match_numpy(name, dtype, backend, rng):
    fn = CASES[name]
    x = _input(rng, dtype)
    got = tr.compile(fn, backend=backend)(x)
    want = fn(x)
    _same(got, want, dtype)
    if backend == "python" and np.dtype(dtype) in (np.dtype(np.complex128), np.dtype(np.float64)):
        np.testing.assert_array_equal(got, want)    # the same pocketfft calls


@pytest.mark.parametrize("backend", BACKENDS)
def test_nan_inf_and_empty_batches(backend, rng):
    x = _input(rng, np.complex128, (3, 8))
    x[1, 2] = np.nan
    x[2, 5] = np.inf
    for fn in (F.fft, F.irfft, lambda v: F.rfft(v.real)):
        with np.errstate(all="ignore"):
            _same(tr.compile(fn, backend=backend)(x), fn(x), np.complex128)
    empty = np.zeros((0, 8), complex)
    for fn in (F.fft, F.irfft, lambda v: F.rfft(v.real), lambda v: F.fft2(v, axes=(1,))):
        _same(tr.compile(fn, backend=backend)(empty), fn(empty), np.complex128)


@pytest.mark.parametrize("call", [
    lambda x: F.fft(x, n=0), lambda x: F.fft(x, norm="bad"), lambda x: F.rfft(x),
    lambda x: F.irfft(x[:1]), lambda x: F.fft(x, axis=3)])
def test_errors_are_numpys(call):
    x = np.ones(4, complex)
    with pytest.raises(Exception) as want:
        call(x)
    with pytest.raises(type(want.value)) as got:
        tr.compile(call, backend="python")(x)
    # numpy's own bad axis is "tuple index out of range"; tracer's AxisError (an
    # IndexError) names the axis
    assert str(want.value) in str(got.value) or isinstance(got.value, np.exceptions.AxisError)


def _check_grad(loss, x, eps=1e-6, rtol=1e-6):
    g = tr.grad(loss)(x)
    flat = x.ravel()
    for k in range(flat.size):
        e = np.zeros(flat.size)
        e[k] = eps
        d_re = (loss((flat + e).reshape(x.shape)) - loss((flat - e).reshape(x.shape))) / (2 * eps)
        want = d_re
        if x.dtype.kind == "c":
            d_im = (loss((flat + 1j * e).reshape(x.shape))
                    - loss((flat - 1j * e).reshape(x.shape))) / (2 * eps)
            want = d_re - 1j * d_im
        np.testing.assert_allclose(g.ravel()[k], want, rtol=rtol, atol=1e-8)


@pytest.mark.parametrize("name", sorted(set(CASES) - {"fftfreq"}))
def test_gradients_match_central_differences(name, rng):
    fn = CASES[name]
    x = _input(rng, np.complex128, (4, 6))
    w = _input(rng, np.complex128, np.shape(fn(x)))
    _check_grad(lambda v: np.sum(np.abs(fn(v) * w) ** 2) + np.real(np.sum(fn(v) * w)), x)


def spectral_derivative(u, length):
    """du/dx of a periodic signal: multiply its spectrum by i k."""
    n = u.shape[-1]
    k = 2 * np.pi * np.fft.rfftfreq(n, d=length / n)
    return np.fft.irfft(1j * k * np.fft.rfft(u), n=n)


def test_spectral_derivative_and_its_gradient():
    x = np.linspace(0, 2 * np.pi, 32, endpoint=False)
    u = np.sin(3 * x) + 0.5 * np.cos(x)
    for backend in BACKENDS:
        du = tr.compile(spectral_derivative, backend=backend, static_argnums=1)(u, 2 * np.pi)
        np.testing.assert_allclose(du, 3 * np.cos(3 * x) - 0.5 * np.sin(x), atol=1e-10)
    _check_grad(lambda v: np.sum(spectral_derivative(v, 2 * np.pi) ** 2), u[:12].copy())


def conv_loss(signal, kernel, target):
    """Circular convolution through the FFT and a squared error."""
    n = signal.shape[-1]
    y = np.fft.irfft(np.fft.rfft(signal) * np.fft.rfft(kernel, n=n), n=n)
    return np.mean((y - target) ** 2)


def test_fft_convolution_loss_and_gradient(rng):
    s, k, t = rng.standard_normal(16), rng.standard_normal(5), rng.standard_normal(16)
    direct = np.array([sum(s[(i - j) % 16] * k[j] for j in range(5)) for i in range(16)])
    for backend in BACKENDS:
        got = tr.compile(conv_loss, backend=backend)(s, k, t)
        np.testing.assert_allclose(got, np.mean((direct - t) ** 2), rtol=1e-12)
        gs, gk = tr.compile(tr.grad(conv_loss, argnums=(0, 1)), backend=backend)(s, k, t)
        _check_grad(lambda v: conv_loss(v, k, t), s)
        _check_grad(lambda v: conv_loss(s, v, t), k)
        np.testing.assert_allclose(gk, tr.grad(conv_loss, argnums=1)(s, k, t), rtol=1e-12)
