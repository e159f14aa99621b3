"""Transient market impact of client flow: a propagator with a power-law decay kernel.

The anchor of the venue's background liquidity is the exogenous fair price plus an impact
state fed by the client orders that take liquidity (Bouchaud, Gefen, Potters & Wyart 2004;
Gatheral 2010). An order of side ``s`` that takes ``q`` shares at time ``t_i`` moves the
anchor at ``t >= t_i`` by

    s * scale * q ** (1 - beta) * G(t - t_i),    G(t) = (1 + t / t0) ** (-beta),

with ``scale = Y * sigma / V ** (1 - beta)`` (``sigma``: the day's volatility in ticks, ``V``
the day's volume): one order of size ``q`` moves the price by ``Y * sigma * (q / V) ** (1 - beta)``
at once, a square root for ``beta = 1/2`` (Almgren et al. 2005; Toth et al. 2011). Per-order
concavity ``1 - beta`` balances the decay exponent ``beta`` (Gatheral's ``delta + gamma = 1``),
so a metaorder's peak impact grows as ``Q ** (1 - beta)`` whether it is one large order or many
small ones. ``G`` is approximated by a sum of exponentials fitted on a log grid, so the state
is updated in O(number of exponentials) per client order and per snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from tradeflow.core.lsq import nnls  # not scipy.optimize's: its import is 0.17 s of a first day

__all__ = ["TransientImpact", "power_law_kernel", "transient_impact"]


@dataclass(frozen=True, slots=True)
class TransientImpact:
    """A propagator the book kernel applies (see :func:`tradeflow.front.orderbook.run_book`).

    Attributes
    ----------
    scale : float
        Levels (ticks) the anchor moves per ``share ** exponent`` taken, at once.
    exponent : float
        Concavity of one order's impact in its size taken.
    weights, rates : float64 ndarray of shape (n_exponentials,)
        The decay kernel ``G(t) ~ sum_k weights[k] * exp(-rates[k] * t)`` (rates per ns).
    """

    scale: float
    exponent: float
    weights: np.ndarray
    rates: np.ndarray


@lru_cache(maxsize=32)
def _fit(beta: float, t0_s: float, horizon_s: float, n_exp: int) -> tuple[np.ndarray, np.ndarray]:
    tau = t0_s * np.logspace(-0.5, np.log10(max(horizon_s / t0_s, 10.0)) + 0.5, n_exp)
    t = np.concatenate([[0.0], t0_s * np.logspace(-2, np.log10(max(horizon_s / t0_s, 10.0)), 200)])
    g = (1.0 + t / t0_s) ** (-beta)
    a = np.exp(-t[:, None] / tau[None, :]) / g[:, None]  # relative error: the tail counts as much as t = 0
    w, _ = nnls(a, np.ones_like(t))
    keep = w > 0
    return w[keep], 1.0 / (tau[keep] * 1e9)


def power_law_kernel(beta: float, t0_seconds: float, horizon_seconds: float,
                     n_exponentials: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Weights and rates (per ns) of exponentials whose sum approximates ``(1 + t / t0) ** -beta``.

    Fitted by non-negative least squares on the relative error over ``t`` in
    ``[0, horizon_seconds]`` (log-spaced), with time scales log-spaced around that span; the
    sum is within about 1% of the power law there and decays to zero beyond.

    Examples
    --------
    >>> w, r = power_law_kernel(0.5, 1.0, 23_400.0)
    >>> t = np.array([0.0, 10.0, 1_000.0]) * 1e9
    >>> g = np.exp(-np.outer(t, r)) @ w
    >>> bool(np.allclose(g, (1 + t / 1e9) ** -0.5, rtol=0.02))
    True
    """
    if not (0.0 < beta < 1.0):
        raise ValueError(f"power_law_kernel: 'beta' must lie in (0, 1). Got {beta!r} instead.")
    if not (t0_seconds > 0 and horizon_seconds > 0):
        raise ValueError("power_law_kernel: 't0_seconds' and 'horizon_seconds' must be positive.")
    w, r = _fit(float(beta), float(t0_seconds), float(horizon_seconds), int(n_exponentials))
    return w.copy(), r.copy()


def transient_impact(*, coefficient: float, beta: float, t0_seconds: float, horizon_seconds: float,
                     daily_volatility_ticks: float, daily_volume: float) -> TransientImpact:
    """The propagator of one instrument for one session (see the module docstring).

    Parameters
    ----------
    coefficient : float
        ``Y``: a single order of size ``q`` moves the anchor by ``Y * sigma * (q / V) ** (1 - beta)``.
    beta : float
        Decay exponent of the kernel, in (0, 1).
    t0_seconds : float
        Time scale of the kernel.
    horizon_seconds : float
        Span over which the kernel is fitted (the session).
    daily_volatility_ticks : float
        ``sigma``: the session's volatility of the fair price, in ticks.
    daily_volume : float
        ``V``: the session's volume in the instrument, in shares.
    """
    w, r = power_law_kernel(beta, t0_seconds, horizon_seconds)
    exponent = 1.0 - beta
    ok = daily_volume > 0 and np.isfinite(daily_volatility_ticks) and daily_volatility_ticks > 0
    scale = coefficient * daily_volatility_ticks / daily_volume ** exponent if ok else 0.0
    return TransientImpact(scale=float(scale), exponent=exponent, weights=w, rates=r)
