"""Black-Scholes-Merton prices and Greeks, vectorized in numba, with explicit units.

Units (the classic desk error is mixing them, so every output says which it is):

* ``price``: in the option's currency, per unit of underlying (multiply by the contract
  multiplier for a contract).
* ``delta``: d price / d spot, per 1.00 of spot (dimensionless; a call is in [0, e^{-qT}]).
* ``gamma``: d delta / d spot, per 1.00 of spot.
* ``vega``: d price / d volatility, per 1.00 of volatility (``vega_unit="vol"``, the
  default, i.e. from 20% to 120%) or per volatility point (``vega_unit="point"``: 20% -> 21%).
* ``theta``: d price / d calendar time, per year (``theta_unit="year"``, the default) or per
  calendar day (``theta_unit="day"``, the year divided by 365). Negative for a long option
  that decays.
* ``rho``: d price / d rate, per 1.00 of rate (``rho_unit="rate"``) or per 1% (``"point"``).

Time to expiry is in years (ACT/365); rates and dividend yields are continuously compounded.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tradeflow.middle import _risk_kernels as rk
from tradeflow.middle.instruments import InstrumentRisk

__all__ = ["bsm_greeks", "bsm_price", "position_greeks"]

_UNITS = {"vega_unit": ("vol", "point"), "theta_unit": ("year", "day"), "rho_unit": ("rate", "point")}


def _arrays(spot, strike, expiry_years, vol, rate, dividend_yield, call_put):
    names = ("spot", "strike", "expiry_years", "vol", "rate", "dividend_yield", "call_put")
    raw = [np.asarray(v, dtype=np.float64) if not isinstance(v, str) else v for v in
           (spot, strike, expiry_years, vol, rate, dividend_yield)]
    cp = np.asarray(call_put)
    if cp.dtype.kind in "US":
        low = np.char.lower(cp.astype(str))
        cpf = np.where(np.isin(low, ["c", "call"]), 1.0, np.where(np.isin(low, ["p", "put"]), -1.0, np.nan))
    else:
        cpf = cp.astype(np.float64)
    arrs = np.broadcast_arrays(*raw, cpf)
    arrs = [np.ascontiguousarray(a, dtype=np.float64).ravel() for a in arrs]
    for name, a in zip(names, arrs, strict=True):
        if not np.all(np.isfinite(a)):
            raise ValueError(f"The {name!r} argument of bsm_greeks must be finite. Got {a[~np.isfinite(a)][0]!r}.")
    for name, a in (("spot", arrs[0]), ("strike", arrs[1])):
        if np.any(a <= 0):
            raise ValueError(f"The {name!r} argument of bsm_greeks must be positive. Got {a[a <= 0][0]!r}.")
    if np.any(arrs[3] < 0):
        raise ValueError(f"The 'vol' argument of bsm_greeks must be non-negative. Got {arrs[3][arrs[3] < 0][0]!r}.")
    if not np.all(np.isin(arrs[6], (1.0, -1.0))):
        raise ValueError(f"The 'call_put' argument of bsm_greeks must be +1/'C'/'call' or -1/'P'/'put'. "
                         f"Got {call_put!r}.")
    return arrs, np.broadcast_shapes(*[np.shape(a) for a in raw], cpf.shape)


def bsm_price(spot, strike, expiry_years, vol, rate=0.0, dividend_yield=0.0, call_put=1) -> np.ndarray:
    """Black-Scholes-Merton price of European options (broadcast over the inputs).

    Examples
    --------
    >>> round(float(bsm_price(100.0, 100.0, 1.0, 0.2, 0.05)), 4)
    10.4506
    """
    arrs, shape = _arrays(spot, strike, expiry_years, vol, rate, dividend_yield, call_put)
    out = np.empty(arrs[0].shape[0])
    rk.bsm_price_vec_nb(*arrs, out)
    return out.reshape(shape)


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
        Annualised volatility (0.2 = 20%).
    rate, dividend_yield : float or array, default=0
        Continuously compounded, per year.
    call_put : +1/-1 or "C"/"P"/"call"/"put", default=1
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
    arrs, _ = _arrays(spot, strike, expiry_years, vol, rate, dividend_yield, call_put)
    out = np.empty((arrs[0].shape[0], 6))
    rk.bsm_greeks_vec_nb(*arrs, out)
    if vega_unit == "point":
        out[:, 3] /= 100.0
    if theta_unit == "day":
        out[:, 4] /= 365.0
    if rho_unit == "point":
        out[:, 5] /= 100.0
    df = pd.DataFrame(out, columns=["price", "delta", "gamma", "vega", "theta", "rho"])
    df.attrs["units"] = {"vega": vega_unit, "theta": theta_unit, "rho": rho_unit}
    return df


def position_greeks(pos: np.ndarray, inst: InstrumentRisk, marks: np.ndarray, fx_inst: np.ndarray, ts: int, *,
                    symbols: list[str] | None = None) -> pd.DataFrame:
    """Greeks of every book x instrument position, in the base currency, and their book totals.

    Linear instruments have delta = quantity x multiplier and no other Greeks. For options
    the per-unit Greeks are scaled by ``quantity x multiplier``: ``delta`` is then in units of
    the underlying, ``dollar_delta`` = delta x underlying price x FX (base currency per 1.00
    relative move), ``dollar_gamma`` = gamma x price^2 x FX (change of dollar delta per
    1.00 relative move), ``vega`` per volatility point and ``theta`` per calendar day, both
    in the base currency.

    Parameters
    ----------
    pos : int64 ndarray of shape (n_books, n_instruments)
    inst : InstrumentRisk
    marks : float64 ndarray of shape (n_instruments,)
    fx_inst : float64 ndarray of shape (n_instruments,)
        Base-currency value of one unit of each instrument's currency.
    ts : int
        Valuation time (ns), for times to expiry.

    Returns
    -------
    DataFrame with columns ``book, instrument, qty, delta, dollar_delta, dollar_gamma, vega, theta``
    (rows with a non-zero position).
    """
    pos = np.asarray(pos)
    n_books, n_inst = pos.shape
    marks = np.asarray(marks, np.float64)
    g = np.zeros((n_inst, 6))
    g[:, 1] = 1.0
    opt = np.flatnonzero(inst.is_option)
    if opt.size:
        u = inst.underlying[opt]
        out = np.empty((opt.size, 6))
        rk.bsm_greeks_vec_nb(marks[u], inst.strike[opt], inst.expiry_years(ts)[opt], inst.vol[opt], inst.rate[opt],
                             inst.div_yield[opt], inst.call_put[opt], out)
        g[opt] = out
    spot = marks[inst.underlying]
    b, i = np.nonzero(pos)
    q = pos[b, i] * inst.multiplier[i]
    fx = fx_inst[i]
    return pd.DataFrame({
        "book": b, "instrument": [symbols[k] for k in i] if symbols else i, "qty": pos[b, i],
        "delta": q * g[i, 1], "dollar_delta": q * g[i, 1] * spot[i] * fx,
        "dollar_gamma": q * g[i, 2] * spot[i] ** 2 * fx, "vega": q * g[i, 3] / 100.0 * fx,
        "theta": q * g[i, 4] / 365.0 * fx,
    })
