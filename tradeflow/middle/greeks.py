"""Black-Scholes-Merton prices and Greeks of positions, with explicit units.

:func:`bsm_price` and :func:`bsm_greeks` are the package's one implementation in
:mod:`tradeflow.core.pricing`, re-exported here; this module adds the position view.

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

from tradeflow.core.pricing import bsm_greeks, bsm_greeks_vec_nb, bsm_price
from tradeflow.middle.instruments import InstrumentRisk

__all__ = ["bsm_greeks", "bsm_price", "position_greeks"]

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
        bsm_greeks_vec_nb(marks[u], inst.strike[opt], inst.expiry_years(ts)[opt], inst.vol[opt], inst.rate[opt],
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
