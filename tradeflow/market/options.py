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

from tradeflow.core.pricing import bsm_price_vec_nb
from tradeflow.core.time import NS_PER_YEAR

__all__ = ["black_scholes", "option_mids"]


def black_scholes(spot: np.ndarray, strike: float, t_years: np.ndarray, vol: float, is_call: bool,
                  rate: float = 0.0) -> np.ndarray:
    """Black-Scholes price of a European call or put (intrinsic value at or after expiry).

    The package's one implementation (:func:`tradeflow.core.pricing.bsm_price_nb`), with no
    dividends; broadcast over ``spot`` and ``t_years``.

    Examples
    --------
    >>> round(float(black_scholes(np.array(100.0), 100.0, np.array(1.0), 0.2, True)), 4)
    7.9656
    """
    s, t = np.broadcast_arrays(np.asarray(spot, np.float64), np.asarray(t_years, np.float64))
    shape = s.shape
    s = np.ascontiguousarray(s).ravel()
    n = s.shape[0]
    out = np.empty(n)
    bsm_price_vec_nb(s, np.full(n, float(strike)), np.ascontiguousarray(t).ravel(), np.full(n, float(vol)),
                     np.full(n, float(rate)), np.zeros(n), np.full(n, 1.0 if is_call else -1.0), out)
    return out.reshape(shape)


def option_mids(underlying_mid: np.ndarray, times: np.ndarray, *, strike: float, expiry_ns: int, vol: float,
                is_call: bool) -> np.ndarray:
    """Mid prices of one option along its underlying's path (``expiry_ns``: expiry time, ns)."""
    return black_scholes(underlying_mid, strike, (expiry_ns - times) / NS_PER_YEAR, vol, is_call)
