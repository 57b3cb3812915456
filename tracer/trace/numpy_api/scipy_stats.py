"""scipy.stats on traced values: norm, t, gamma, beta, poisson and multivariate_normal.

A distribution's methods (rv_continuous.logpdf, ...) convert with np.asarray and then
compute only the elements whose parameters are valid (argsreduce, place): data picks
the elements, which a compiled function cannot do. For the distributions here tracer
patches the methods on the distribution's class (so frozen ones, `norm(0, 2).logpdf`,
too) when tracer is imported: plain arrays go to scipy's own code, traced values to the
same computation written with np.where: standardize by loc and scale, scipy's own
_logpdf/_pdf/_cdf formulas (scipy.special's functions, traced), and scipy's answers
outside the valid region (NaN for invalid parameters or NaN x, -inf/0/1 outside the
support), placed in scipy's order. Derivatives follow from the formulas.
multivariate_normal's logpdf and pdf go through a Cholesky factor (scipy uses an
eigendecomposition: the values agree to rounding) and need a positive definite cov.
"""
from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ..proxy import operand, wrap
from .common import traced_or_original

_LOG_SQRT_2PI = math.log(math.sqrt(2 * math.pi))


def _f64(x: Any) -> Any:
    node = operand(x)[0]
    return wrap(node).astype(np.promote_types(node.dtype, np.float64))


def _special():
    import scipy.special as sc
    return sc


@dataclass(frozen=True)
class Continuous:
    """scipy's private formulas of one continuous distribution, over traced values."""
    support: Callable[..., tuple[float, float]]
    argcheck: Callable[..., Any]
    logpdf: Callable[..., Any]
    pdf: Callable[..., Any] | None = None
    cdf: Callable[..., Any] | None = None
    logcdf: Callable[..., Any] | None = None
    sf: Callable[..., Any] | None = None
    logsf: Callable[..., Any] | None = None


def _true(*args: Any) -> Any:
    return True


def _t_logpdf(x, df):
    sc = _special()
    return (np.log(sc.poch(0.5 * df, 0.5)) - 0.5 * (np.log(df) + np.log(np.pi))
            - (df + 1) / 2 * np.log1p(x * x / df))


CONTINUOUS = {
    "norm": Continuous(
        support=lambda: (-np.inf, np.inf), argcheck=_true,
        logpdf=lambda x: -x ** 2 / 2.0 - _LOG_SQRT_2PI,
        pdf=lambda x: np.exp(-x ** 2 / 2.0) / math.sqrt(2 * math.pi),
        cdf=lambda x: _special().ndtr(x), logcdf=lambda x: _special().log_ndtr(x),
        sf=lambda x: _special().ndtr(-x), logsf=lambda x: _special().log_ndtr(-x)),
    "t": Continuous(
        support=lambda df: (-np.inf, np.inf), argcheck=lambda df: df > 0,
        logpdf=_t_logpdf, cdf=lambda x, df: _special().stdtr(df, x),
        sf=lambda x, df: _special().stdtr(df, -x)),
    "gamma": Continuous(
        support=lambda a: (0.0, np.inf), argcheck=lambda a: a > 0,
        logpdf=lambda x, a: _special().xlogy(a - 1.0, x) - x - _special().gammaln(a),
        cdf=lambda x, a: _special().gammainc(a, x), sf=lambda x, a: _special().gammaincc(a, x)),
    "beta": Continuous(
        support=lambda a, b: (0.0, 1.0), argcheck=lambda a, b: (a > 0) & (b > 0),
        logpdf=lambda x, a, b: (_special().xlog1py(b - 1.0, -x) + _special().xlogy(a - 1.0, x)
                                - _special().betaln(a, b)),
        cdf=lambda x, a, b: _special().betainc(a, b, x)),
}


def _standardized(dist: Any, x: Any, args: tuple, kwds: dict) -> tuple:
    shapes, loc, scale = dist._parse_args(*args, **kwds)
    x, loc, scale = _f64(x), _f64(loc), _f64(scale)
    shapes = tuple(_f64(a) for a in shapes)
    z = (x - loc) / scale
    return z, shapes, scale


def _continuous_method(spec: Continuous, method: str) -> Callable[..., Any]:
    def traced(dist: Any, x: Any, *args: Any, **kwds: Any) -> Any:
        z, shapes, scale = _standardized(dist, x, args, kwds)
        a, b = spec.support(*shapes)
        cond0 = spec.argcheck(*shapes) & (scale > 0)
        bad = ~cond0 | np.isnan(z)
        if method in ("logpdf", "pdf"):
            inside = cond0 & (z >= a) & (z <= b)
            if method == "logpdf":
                value = spec.logpdf(z, *shapes) - np.log(scale)
                return np.where(inside, value, np.where(bad, np.nan, -np.inf))
            pdf = spec.pdf(z, *shapes) if spec.pdf else np.exp(spec.logpdf(z, *shapes))
            return np.where(inside, pdf / scale, np.where(bad, np.nan, 0.0))
        inside = cond0 & (z > a) & (z < b)
        upper = cond0 & (z >= b) if method in ("cdf", "logcdf") else cond0 & (z <= a)
        if method == "cdf":
            value, at_end, outside = spec.cdf(z, *shapes), 1.0, 0.0
        elif method == "logcdf":
            value = spec.logcdf(z, *shapes) if spec.logcdf else np.log(spec.cdf(z, *shapes))
            at_end, outside = 0.0, -np.inf
        elif method == "sf":
            value = spec.sf(z, *shapes) if spec.sf else 1.0 - spec.cdf(z, *shapes)
            at_end, outside = 1.0, 0.0
        else:
            value = (spec.logsf(z, *shapes) if spec.logsf else
                     np.log(spec.sf(z, *shapes) if spec.sf else 1.0 - spec.cdf(z, *shapes)))
            at_end, outside = 0.0, -np.inf
        return np.where(inside, value, np.where(upper, at_end,
                                                np.where(bad, np.nan, outside)))
    return traced


def _poisson_method(method: str) -> Callable[..., Any]:
    def traced(dist: Any, k: Any, mu: Any, loc: Any = 0) -> Any:
        sc = _special()
        k, mu = _f64(k) - _f64(loc), _f64(mu)
        cond0 = mu >= 0
        if method == "cdf":
            k = np.floor(k)
            inside = cond0 & (k >= 0) & (k < np.inf)
            value = sc.pdtr(np.floor(k), mu)
            return np.where(inside, value, np.where(k >= np.inf, 1.0, np.where(
                ~cond0 | np.isnan(k), np.nan, 0.0)))
        inside = cond0 & (k >= 0) & (k <= np.inf) & (np.floor(k) == k)
        logpmf = sc.xlogy(k, mu) - sc.gammaln(k + 1) - mu
        bad = ~cond0 | np.isnan(k)
        if method == "logpmf":
            return np.where(inside, logpmf, np.where(bad, np.nan, -np.inf))
        return np.where(inside, np.exp(logpmf), np.where(bad, np.nan, 0.0))
    return traced


def _mvn_method(method: str) -> Callable[..., Any]:
    def traced(dist: Any, x: Any, mean: Any = None, cov: Any = 1, allow_singular: bool = False,
               **kwds: Any) -> Any:
        import scipy.linalg
        x = _f64(x)
        d = x.shape[-1] if x.ndim else 1
        x = x.reshape(x.shape + (1,)) if x.ndim == 0 else x
        mean = np.zeros(d) if mean is None else _f64(mean)
        cov = _f64(cov)
        if cov.ndim < 2:
            cov = cov * np.eye(d) if cov.ndim == 0 else np.diag(cov)
        low = np.linalg.cholesky(cov)
        dev = (x - mean).reshape(-1, d)
        z = scipy.linalg.solve_triangular(low, dev.T, lower=True)
        maha = np.sum(z * z, axis=0)
        log_det = 2.0 * np.sum(np.log(np.diagonal(low)))
        out = -0.5 * (d * np.log(2 * np.pi) + log_det + maha)
        out = out.reshape(x.shape[:-1])
        return out if method == "logpdf" else np.exp(out)
    return traced


def _patch(cls: type, name: str, traced: Callable[..., Any]) -> None:
    current = getattr(cls, name)
    if hasattr(current, "__tracer_original__"):
        return
    setattr(cls, name, traced_or_original(current, traced))


_installed: list[bool] = []


def install() -> None:
    """Patch the classes of the distributions above, once scipy.stats is imported (called
    when a trace starts)."""
    stats = sys.modules.get("scipy.stats")
    if stats is None or _installed:
        return
    _installed.append(True)
    for name, spec in CONTINUOUS.items():
        for method in ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"):
            if method in ("cdf", "logcdf", "sf", "logsf") and spec.cdf is None:
                continue
            _patch(type(getattr(stats, name)), method, _continuous_method(spec, method))
    for method in ("logpmf", "pmf", "cdf"):
        _patch(type(stats.poisson), method, _poisson_method(method))
    for method in ("logpdf", "pdf"):
        _patch(type(stats.multivariate_normal), method, _mvn_method(method))


TRACED = sorted([f"{n}.{m}" for n in CONTINUOUS for m in ("logpdf", "pdf", "cdf", "logcdf",
                                                          "sf", "logsf")]
                + [f"poisson.{m}" for m in ("logpmf", "pmf", "cdf")]
                + ["multivariate_normal.logpdf", "multivariate_normal.pdf"])
