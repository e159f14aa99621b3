"""Order arrival processes: Poisson and Hawkes (exponential kernel), modulated by an intraday profile."""

from __future__ import annotations

import numpy as np

from tradeflow.front import _kernels

__all__ = ["poisson_arrivals", "hawkes_arrivals"]


def _check(profile: np.ndarray, step_s: float, expected: float) -> np.ndarray:
    profile = np.ascontiguousarray(profile, dtype=np.float64)
    if profile.ndim != 1 or profile.size == 0 or not np.all(np.isfinite(profile)) or np.any(profile < 0):
        raise ValueError("The 'profile' parameter must be a non-empty 1-d array of finite non-negative numbers.")
    if not (step_s > 0 and np.isfinite(step_s)):
        raise ValueError(f"The 'step_s' parameter must be a finite positive number. Got {step_s!r} instead.")
    if not (expected >= 0 and np.isfinite(expected)):
        raise ValueError(f"The 'expected' parameter must be a finite non-negative number. Got {expected!r} instead.")
    if profile.sum() <= 0:
        raise ValueError("The 'profile' parameter must have a positive sum.")
    return profile


def poisson_arrivals(rng: np.random.Generator, *, expected: float, profile: np.ndarray, step_s: float) -> np.ndarray:
    """Arrival times (seconds from the open) of an inhomogeneous Poisson process.

    The intensity on grid step ``k`` is proportional to ``profile[k]``, scaled so that
    ``expected`` arrivals are expected over the ``len(profile) * step_s`` seconds.

    Returns
    -------
    float64 ndarray, sorted.
    """
    profile = _check(profile, step_s, expected)
    n = int(rng.poisson(expected))
    cum = np.concatenate([[0.0], np.cumsum(profile)])
    cum /= cum[-1]
    u = np.sort(rng.random(n))
    return np.interp(u, cum, np.arange(profile.size + 1) * step_s)


def hawkes_arrivals(rng: np.random.Generator, *, expected: float, profile: np.ndarray, step_s: float,
                    branching: float, decay_s: float) -> np.ndarray:
    """Arrival times (seconds from the open) of a Hawkes process with an exponential kernel.

    Intensity ``mu(t) + sum_i n / tau * exp(-(t - t_i) / tau)`` with branching ratio ``n``
    and ``tau = decay_s``; the baseline follows ``profile`` and is scaled to
    ``expected * (1 - n)`` immigrants, so ``expected`` arrivals are expected in all
    (stationary mean). Simulated by Ogata thinning with the excitation carried
    recursively: O(n).

    Raises
    ------
    ValueError
        If ``branching`` is not in [0, 1) (at 1 or above the process explodes).

    Examples
    --------
    >>> t = hawkes_arrivals(np.random.default_rng(0), expected=1000, profile=np.ones(100), step_s=10.0,
    ...                     branching=0.5, decay_s=5.0)
    >>> bool(np.all(np.diff(t) >= 0))
    True
    """
    if not (0.0 <= branching < 1.0):
        raise ValueError(f"The 'hawkes_branching' parameter must be in [0, 1): a branching ratio >= 1 makes "
                         f"the Hawkes process explode. Got {branching!r} instead.")
    if not (decay_s > 0 and np.isfinite(decay_s)):
        raise ValueError(f"The 'hawkes_decay_seconds' parameter must be a finite positive number. Got {decay_s!r}.")
    profile = _check(profile, step_s, expected)
    horizon = profile.size * step_s
    mu = profile / profile.mean() * expected * (1.0 - branching) / horizon
    cap = int(expected * 2 + 1000)
    while True:
        out = np.empty(cap, np.float64)
        n = _kernels.hawkes_times_nb(rng, mu, float(step_s), float(horizon), float(branching), 1.0 / decay_s, out)
        if n >= 0:
            return out[:n]
        cap *= 2  # an unusually busy day: retry with room (the draw continues the same stream)
