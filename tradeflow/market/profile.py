"""The intraday U-shape of trading activity and volatility."""

from __future__ import annotations

import numpy as np

__all__ = ["intraday_profile", "volume_curve"]


def intraday_profile(frac: np.ndarray, *, open_factor: float = 3.0, close_factor: float = 2.0,
                     halflife: float = 0.05) -> np.ndarray:
    """Relative intensity of activity at points of the session, normalized to mean 1.

    ``1 + (open_factor - 1) exp(-x ln2 / h) + (close_factor - 1) exp(-(1 - x) ln2 / h)``:
    flat at midday, ``open_factor`` times busier at the open and ``close_factor`` times at
    the close, the excess halving every ``h`` of the session (the U-shape of intraday
    volume; volatility follows its square root, variance being proportional to volume).

    Parameters
    ----------
    frac : float ndarray
        Points of the session in [0, 1] (0 = open, 1 = close).
    open_factor, close_factor : float, default=3.0, 2.0
        Intensity at the open / close relative to midday (1 = no seasonality).
    halflife : float, default=0.05
        Half-life of the excess, as a share of the session (0.05 of 6.5 h ~ 20 min).

    Returns
    -------
    float64 ndarray of the shape of ``frac``, with mean 1 over a uniform grid of the session.

    Examples
    --------
    >>> p = intraday_profile(np.linspace(0, 1, 391))
    >>> bool(p[0] > p[195] < p[-1])
    True
    """
    x = np.asarray(frac, dtype=np.float64)
    k = np.log(2.0) / halflife
    shape = lambda y: 1.0 + (open_factor - 1.0) * np.exp(-y * k) + (close_factor - 1.0) * np.exp(-(1.0 - y) * k)  # noqa: E731
    # normalise by the exact mean over [0, 1]
    mean = 1.0 + ((open_factor - 1.0) + (close_factor - 1.0)) * (1.0 - np.exp(-k)) / k
    return shape(x) / mean


def volume_curve(times: np.ndarray, profile: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Share of the session's volume traded by each time in ``at`` (the VWAP schedule's curve).

    The profile is the relative activity of each grid interval ``[times[i], times[i+1])``
    (the last step's length repeats); the curve is its cumulative sum, linear within a
    step, 0 at ``times[0]`` and 1 at the end of the last step.

    Parameters
    ----------
    times : int64 ndarray of shape (n,)
        The session grid (ns), increasing.
    profile : float ndarray of shape (n,)
        Non-negative activity per grid step, not all zero.
    at : int64 ndarray
        Times (ns); clipped to the session.

    Returns
    -------
    float64 ndarray of the shape of ``at``, non-decreasing in time, in [0, 1].
    """
    times = np.asarray(times, dtype=np.int64)
    w = np.asarray(profile, dtype=np.float64)
    if times.ndim != 1 or w.shape != times.shape or times.size == 0:
        raise ValueError(f"volume_curve: 'profile' must have the shape of 'times' {times.shape}; got {w.shape}")
    if not (np.all(np.isfinite(w)) and np.all(w >= 0) and w.sum() > 0):
        raise ValueError("volume_curve: 'profile' must be finite, non-negative and not all zero")
    step = int(times[1] - times[0]) if times.size > 1 else 1
    edges = np.append(times, times[-1] + step).astype(np.float64)
    cum = np.concatenate([[0.0], np.cumsum(w)])
    return np.interp(np.asarray(at, dtype=np.float64), edges, cum / cum[-1])
