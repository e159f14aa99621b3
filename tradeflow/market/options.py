"""European equity options priced from the simulated underlying (Black-Scholes, a flat volatility).

Option instruments follow the equities in the instrument table (ids ``n_equities ..``) with the
columns the risk engine needs: ``asset_class = "option"``, ``underlying`` (the underlying's
instrument id; -1 for non-options), ``strike``, ``expiry`` (days since the epoch; -1 for
non-options; the option expires at that day's session close), ``call_put`` (``"C"``/``"P"``;
``""`` for non-options) and ``multiplier``. Their mids are Black-Scholes prices of the
underlying's simulated mid with the option's volatility, zero rates and dividends, and time to
expiry in ACT/365 calendar time.
"""

from __future__ import annotations

import numpy as np

__all__ = ["black_scholes", "option_mids"]

NS_PER_YEAR = 365.0 * 86_400 * 1_000_000_000


def black_scholes(spot: np.ndarray, strike: float, t_years: np.ndarray, vol: float, is_call: bool,
                  rate: float = 0.0) -> np.ndarray:
    """Black-Scholes price of a European call or put (intrinsic value at or after expiry).

    Examples
    --------
    >>> round(float(black_scholes(np.array(100.0), 100.0, np.array(1.0), 0.2, True)), 4)
    7.9656
    """
    from scipy.special import ndtr  # imported on first use: scipy is slow to import

    spot = np.asarray(spot, np.float64)
    t = np.maximum(np.asarray(t_years, np.float64), 0.0)
    live = t > 0
    ts = np.where(live, t, 1.0)
    sd = vol * np.sqrt(ts)
    with np.errstate(divide="ignore"):
        d1 = (np.log(spot / strike) + (rate + 0.5 * vol**2) * ts) / np.where(sd > 0, sd, np.inf)
    d2 = d1 - sd
    disc = np.exp(-rate * ts)
    if is_call:
        price = spot * ndtr(d1) - strike * disc * ndtr(d2)
        intrinsic = np.maximum(spot - strike, 0.0)
    else:
        price = strike * disc * ndtr(-d2) - spot * ndtr(-d1)
        intrinsic = np.maximum(strike - spot, 0.0)
    if vol == 0:
        fwd = spot - strike * disc if is_call else strike * disc - spot
        price = np.maximum(fwd, 0.0)
    return np.where(live, price, intrinsic)


def option_mids(underlying_mid: np.ndarray, times: np.ndarray, *, strike: float, expiry_ns: int, vol: float,
                is_call: bool) -> np.ndarray:
    """Mid prices of one option along its underlying's path (``expiry_ns``: expiry time, ns)."""
    return black_scholes(underlying_mid, strike, (expiry_ns - times) / NS_PER_YEAR, vol, is_call)
