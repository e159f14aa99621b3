"""The one Black-Scholes-Merton implementation of tradeflow: numba kernels and a small Python API.

The market prices its options with it (:mod:`tradeflow.market.options`), the middle office
takes Greeks, scenario P&L and stress from it (:mod:`tradeflow.middle.greeks`), and the back
office explains option P&L with it (:func:`tradeflow.back.black_scholes_greeks`). It is
checked against QuantLib's ``AnalyticEuropeanEngine`` in ``tests/oracles/test_pricing_quantlib.py``.

Conventions and units (the classic desk error is mixing them, so every output says which it is):

* Time to expiry in years (ACT/365); rates and dividend yields continuously compounded, per year.
* ``price``: in the option's currency, per unit of underlying (times the contract multiplier
  for a contract).
* ``delta``: d price / d spot, per 1.00 of spot (a call is in [0, e^{-qT}]).
* ``gamma``: d delta / d spot, per 1.00 of spot.
* ``vega``: d price / d volatility. The kernels give it per 1.00 of volatility (from 20% to
  120%); :func:`bsm_greeks` per 1.00 (``vega_unit="vol"``) or per volatility point
  (``vega_unit="point"``: 20% -> 21%).
* ``theta``: d price / d calendar time (the option one day older, everything else held),
  per year in the kernels; :func:`bsm_greeks` per year (``theta_unit="year"``) or per calendar
  day (``"day"``, the year / 365). Negative for a long option that decays.
* ``rho``: d price / d rate, per 1.00 of rate in the kernels; ``rho_unit="point"`` per 1%.

The limits are the exact limits of the formulas: with zero volatility the option is worth its
discounted forward intrinsic value ``max(cp (S e^{-qT} - K e^{-rT}), 0)`` and its Greeks are
the derivatives of that (an in-the-money call then has theta ``q S e^{-qT} - r K e^{-rT}``);
at or after expiry (``T <= 0``) it is worth its intrinsic value with delta 1/0 (calls), -1/0
(puts) and every other Greek 0.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from numba import njit

__all__ = ["bsm_greeks", "bsm_greeks_array", "bsm_greeks_nb", "bsm_greeks_vec_nb", "bsm_price", "bsm_price_nb",
           "bsm_price_vec_nb", "norm_cdf_nb", "norm_pdf_nb", "GREEK_COLUMNS"]

SQRT2 = math.sqrt(2.0)
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)

#: the columns of :func:`bsm_greeks` and the slots of :func:`bsm_greeks_nb`'s ``out``, in order
GREEK_COLUMNS = ("price", "delta", "gamma", "vega", "theta", "rho")


# --------------------------------------------------------------------------- kernels (raw units)
@njit(cache=True, nogil=True)
def norm_cdf_nb(x):
    """Standard normal cumulative distribution."""
    return 0.5 * math.erfc(-x / SQRT2)


@njit(cache=True, nogil=True)
def norm_pdf_nb(x):
    """Standard normal density."""
    return INV_SQRT_2PI * math.exp(-0.5 * x * x)


@njit(cache=True, nogil=True)
def bsm_price_nb(s, k, t, vol, r, q, cp):
    """Black-Scholes-Merton price of one European option (``cp`` = +1 call, -1 put).

    At or after expiry (``t <= 0``) the option is worth its intrinsic value; with zero
    volatility its discounted forward intrinsic value.
    """
    if t <= 0.0:
        return max(cp * (s - k), 0.0)
    dq = math.exp(-q * t)
    dr = math.exp(-r * t)
    if vol <= 0.0:
        return max(cp * (s * dq - k * dr), 0.0)
    sq = vol * math.sqrt(t)
    d1 = (math.log(s / k) + (r - q + 0.5 * vol * vol) * t) / sq
    d2 = d1 - sq
    return cp * (s * dq * norm_cdf_nb(cp * d1) - k * dr * norm_cdf_nb(cp * d2))


@njit(cache=True, nogil=True)
def bsm_greeks_nb(s, k, t, vol, r, q, cp, out):
    """Write price, delta, gamma, vega, theta, rho (raw units) of one option into ``out[0:6]``."""
    if t <= 0.0 or vol <= 0.0:
        out[0] = bsm_price_nb(s, k, t, vol, r, q, cp)
        tt = max(t, 0.0)
        dq = math.exp(-q * tt)
        dr = math.exp(-r * tt)
        itm = cp * (s * dq - k * dr) > 0.0
        out[1] = cp * dq if itm else 0.0
        out[2] = 0.0
        out[3] = 0.0
        # price = cp (S e^{-qT} - K e^{-rT}); theta = -d price / dT = cp (q S e^{-qT} - r K e^{-rT})
        out[4] = cp * (q * s * dq - r * k * dr) if (itm and t > 0.0) else 0.0
        out[5] = cp * k * tt * dr if itm else 0.0
        return
    dq = math.exp(-q * t)
    dr = math.exp(-r * t)
    st = math.sqrt(t)
    sq = vol * st
    d1 = (math.log(s / k) + (r - q + 0.5 * vol * vol) * t) / sq
    d2 = d1 - sq
    nd1 = norm_cdf_nb(cp * d1)
    nd2 = norm_cdf_nb(cp * d2)
    pdf = norm_pdf_nb(d1)
    out[0] = cp * (s * dq * nd1 - k * dr * nd2)
    out[1] = cp * dq * nd1
    out[2] = dq * pdf / (s * sq)
    out[3] = s * dq * pdf * st
    out[4] = -s * dq * pdf * vol / (2.0 * st) - cp * r * k * dr * nd2 + cp * q * s * dq * nd1
    out[5] = cp * k * t * dr * nd2


@njit(cache=True, nogil=True)
def bsm_greeks_vec_nb(s, k, t, vol, r, q, cp, out):
    """Vectorized :func:`bsm_greeks_nb`: inputs of shape (n,), ``out`` of shape (n, 6)."""
    for j in range(s.shape[0]):
        bsm_greeks_nb(s[j], k[j], t[j], vol[j], r[j], q[j], cp[j], out[j])


@njit(cache=True, nogil=True)
def bsm_price_vec_nb(s, k, t, vol, r, q, cp, out):
    """Vectorized :func:`bsm_price_nb`: inputs of shape (n,), ``out`` of shape (n,)."""
    for j in range(s.shape[0]):
        out[j] = bsm_price_nb(s[j], k[j], t[j], vol[j], r[j], q[j], cp[j])


# --------------------------------------------------------------------------- Python API
_UNITS = {"vega_unit": ("vol", "point"), "theta_unit": ("year", "day"), "rho_unit": ("rate", "point")}


def _arrays(spot, strike, expiry_years, vol, rate, dividend_yield, call_put, who):
    names = ("spot", "strike", "expiry_years", "vol", "rate", "dividend_yield", "call_put")
    raw = []
    for name, v in zip(names[:6], (spot, strike, expiry_years, vol, rate, dividend_yield), strict=True):
        try:
            raw.append(np.asarray(v, dtype=np.float64))
        except (TypeError, ValueError):
            raise TypeError(f"The {name!r} argument of {who} must be numeric. Got {v!r}.") from None
    cp = np.asarray(call_put)
    if cp.dtype.kind in "US":
        low = np.char.lower(cp.astype(str))
        cpf = np.where(np.isin(low, ["c", "call"]), 1.0, np.where(np.isin(low, ["p", "put"]), -1.0, np.nan))
    elif cp.dtype.kind == "b":
        cpf = np.where(cp, 1.0, -1.0)
    else:
        cpf = cp.astype(np.float64)
    arrs = np.broadcast_arrays(*raw, cpf)
    arrs = [np.ascontiguousarray(a, dtype=np.float64).ravel() for a in arrs]
    for name, a in zip(names[:6], arrs, strict=False):
        if not np.all(np.isfinite(a)):
            raise ValueError(f"The {name!r} argument of {who} must be finite. Got {a[~np.isfinite(a)][0]!r}.")
    for name, a in (("spot", arrs[0]), ("strike", arrs[1])):
        if np.any(a <= 0):
            raise ValueError(f"The {name!r} argument of {who} must be positive. Got {a[a <= 0][0]!r}.")
    if np.any(arrs[3] < 0):
        raise ValueError(f"The 'vol' argument of {who} must be non-negative. Got {arrs[3][arrs[3] < 0][0]!r}.")
    if not np.all(np.isin(arrs[6], (1.0, -1.0))):
        raise ValueError(f"The 'call_put' argument of {who} must be +1/'C'/'call' or -1/'P'/'put' (or a bool, "
                         f"True = call). Got {call_put!r}.")
    return arrs, np.broadcast_shapes(*[np.shape(a) for a in raw], cpf.shape)


def bsm_price(spot, strike, expiry_years, vol, rate=0.0, dividend_yield=0.0, call_put=1) -> np.ndarray:
    """Black-Scholes-Merton price of European options (broadcast over the inputs).

    Parameters are as in :func:`bsm_greeks`.

    Returns
    -------
    float64 ndarray of the broadcast shape.

    Examples
    --------
    >>> round(float(bsm_price(100.0, 100.0, 1.0, 0.2, 0.05)), 4)
    10.4506
    """
    arrs, shape = _arrays(spot, strike, expiry_years, vol, rate, dividend_yield, call_put, "bsm_price")
    out = np.empty(arrs[0].shape[0])
    bsm_price_vec_nb(*arrs, out)
    return out.reshape(shape)


def bsm_greeks_array(spot, strike, expiry_years, vol, rate=0.0, dividend_yield=0.0, call_put=1) -> np.ndarray:
    """Price and Greeks in raw units (see the module) as an array of shape (n, 6), columns
    :data:`GREEK_COLUMNS`, n the broadcast size of the inputs."""
    arrs, _ = _arrays(spot, strike, expiry_years, vol, rate, dividend_yield, call_put, "bsm_greeks")
    out = np.empty((arrs[0].shape[0], 6))
    bsm_greeks_vec_nb(*arrs, out)
    return out


def bsm_greeks(spot, strike, expiry_years, vol, rate=0.0, dividend_yield=0.0, call_put=1, *, vega_unit: str = "vol",
               theta_unit: str = "year", rho_unit: str = "rate") -> pd.DataFrame:
    """Price, delta, gamma, vega, theta and rho of European options under Black-Scholes-Merton.

    Parameters
    ----------
    spot, strike : float or array
        Underlying price and strike, same currency, positive.
    expiry_years : float or array
        Time to expiry in years (ACT/365); at or below 0 the option is at expiry (intrinsic).
    vol : float or array
        Annualised volatility (0.2 = 20%), non-negative.
    rate, dividend_yield : float or array, default=0
        Continuously compounded, per year.
    call_put : +1/-1, "C"/"P"/"call"/"put" or bool (True = call), default=1
    vega_unit : {"vol", "point"}, default="vol"
    theta_unit : {"year", "day"}, default="year"
    rho_unit : {"rate", "point"}, default="rate"

    Returns
    -------
    DataFrame
        Columns ``price, delta, gamma, vega, theta, rho``, one row per (broadcast) option;
        ``df.attrs["units"]`` records the units used.

    Examples
    --------
    >>> g = bsm_greeks(100.0, 100.0, 1.0, 0.2, 0.05, vega_unit="point", theta_unit="day")
    >>> round(float(g["delta"][0]), 4), round(float(g["vega"][0]), 4)
    (0.6368, 0.3752)
    """
    for name, value in (("vega_unit", vega_unit), ("theta_unit", theta_unit), ("rho_unit", rho_unit)):
        if value not in _UNITS[name]:
            raise ValueError(f"The {name!r} argument of bsm_greeks must be one of {_UNITS[name]}. Got {value!r}.")
    out = bsm_greeks_array(spot, strike, expiry_years, vol, rate, dividend_yield, call_put)
    if vega_unit == "point":
        out[:, 3] /= 100.0
    if theta_unit == "day":
        out[:, 4] /= 365.0
    if rho_unit == "point":
        out[:, 5] /= 100.0
    df = pd.DataFrame(out, columns=list(GREEK_COLUMNS))
    df.attrs["units"] = {"vega": vega_unit, "theta": theta_unit, "rho": rho_unit}
    return df
