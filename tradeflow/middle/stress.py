"""Stress tests: user-defined shocks and named historical scenarios, revalued per book.

A :class:`Shock` moves every linear instrument by a relative ``equity`` shock (or per
symbol), shifts option volatilities by ``vol_points`` (10 = +10 volatility points) and
moves currencies against the base currency by relative ``fx`` shocks (``{"EUR": -0.10}``:
one euro is worth 10% fewer dollars). Options are fully revalued (Black-Scholes-Merton) at
the shocked underlying and volatility. The historical scenarios below are one-day moves
of broad indices (S&P 500 and VIX; EURUSD), applied to every equity as a beta-one shock —
a first approximation, not a replay of each name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tradeflow.core.linalg import ordered_matmul
from tradeflow.middle import _risk_kernels as rk
from tradeflow.middle.instruments import InstrumentRisk

__all__ = ["Shock", "HISTORICAL_SCENARIOS", "STANDARD_SHOCKS", "stress_test"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Shock:
    """One stress scenario.

    Parameters
    ----------
    name : str
    equity : float or dict of str to float, default=0
        Relative move of linear instruments (-0.2 = -20%), for all or per symbol.
    vol_points : float, default=0
        Absolute shift of option implied volatilities in points (10 = +0.10).
    fx : dict of str to float
        Relative move of the base-currency value of each named currency.
    """

    name: str
    equity: float | dict[str, float] = 0.0
    vol_points: float = 0.0
    fx: dict[str, float] = field(default_factory=dict)


STANDARD_SHOCKS: tuple[Shock, ...] = (
    Shock(name="equity -20%", equity=-0.20),
    Shock(name="equity +20%", equity=0.20),
    Shock(name="vol +10 pts", vol_points=10.0),
    Shock(name="FX -10% (foreign ccys)", fx={"*": -0.10}),
    Shock(name="FX +10% (foreign ccys)", fx={"*": 0.10}),
)

HISTORICAL_SCENARIOS: dict[str, Shock] = {
    # S&P 500 one-day falls and the VIX jump on the day; EURUSD move where it mattered
    "1987-10-19 Black Monday": Shock(name="1987-10-19 Black Monday", equity=-0.2047, vol_points=100.0),
    "2008-10-15 GFC": Shock(name="2008-10-15 GFC", equity=-0.0903, vol_points=16.0, fx={"EUR": -0.02}),
    "2015-08-24 China devaluation": Shock(name="2015-08-24 China devaluation", equity=-0.0394,
                                          vol_points=12.0, fx={"EUR": 0.015}),
    "2020-03-16 COVID": Shock(name="2020-03-16 COVID", equity=-0.1198, vol_points=24.9, fx={"EUR": -0.005}),
}


def stress_test(pos: np.ndarray, inst: InstrumentRisk, marks: np.ndarray, fx_ccy: np.ndarray,
                currencies: list[str] | tuple[str, ...], *, ts: int, shocks=None,
                symbols: list[str] | None = None) -> pd.DataFrame:
    """P&L of every book (and the desk) under each shock, in the base currency.

    Parameters
    ----------
    pos : int64 ndarray of shape (n_books, n_instruments)
    inst : InstrumentRisk
    marks : float64 ndarray of shape (n_instruments,)
    fx_ccy : float64 ndarray of shape (n_currencies,)
        Base-currency value of one unit of each currency (``currencies[0]`` is the base).
    currencies : sequence of str
    ts : int
        Valuation time (ns).
    shocks : sequence of Shock or of names of :data:`HISTORICAL_SCENARIOS`, optional
        Defaults to :data:`STANDARD_SHOCKS` plus every historical scenario.
    symbols : list of str, optional
        Instrument symbols (needed for per-symbol equity shocks).

    Returns
    -------
    DataFrame indexed by scenario name, one column per book and a ``desk`` column.
    """
    pos = np.asarray(pos, dtype=np.int64)
    n_books, n_inst = pos.shape
    marks = np.asarray(marks, np.float64)
    fx_ccy = np.asarray(fx_ccy, np.float64)
    if shocks is None:
        shocks = [*STANDARD_SHOCKS, *HISTORICAL_SCENARIOS.values()]
    resolved = []
    for s in shocks:
        if isinstance(s, str):
            if s not in HISTORICAL_SCENARIOS:
                raise ValueError(f"unknown historical scenario {s!r}; known: {sorted(HISTORICAL_SCENARIOS)}")
            s = HISTORICAL_SCENARIOS[s]
        if not isinstance(s, Shock):
            raise ValueError(f"shocks must be Shock objects or scenario names. Got {s!r}.")
        resolved.append(s)
    ccy_of = inst.currency_id
    fx0 = fx_ccy[ccy_of]
    no_fx = np.zeros((len(fx_ccy), 1))  # the FX shock applies below, on the value as well as the P&L
    rows = {}
    for s in resolved:
        ret = np.zeros((n_inst, 1))
        if isinstance(s.equity, dict):
            for sym, v in s.equity.items():
                if symbols is None or sym not in symbols:
                    raise ValueError(f"shock {s.name!r}: unknown symbol {sym!r}")
                ret[symbols.index(sym), 0] = v
        else:
            ret[~inst.is_option, 0] = s.equity
        ret[inst.is_option, 0] = 0.0
        fx1_ccy = fx_ccy.copy()
        for ccy, v in s.fx.items():
            targets = range(1, len(currencies)) if ccy == "*" else [list(currencies).index(ccy)] \
                if ccy in currencies else []
            for c in targets:
                fx1_ccy[c] = fx_ccy[c] * (1.0 + v)
        fx1 = fx1_ccy[ccy_of]
        unit = np.empty((n_inst, 1))
        rk.unit_scenario_pnl_nb(inst.asset_class, inst.underlying, inst.multiplier, inst.strike,
                                inst.expiry_years(ts), inst.vol, inst.rate, inst.div_yield, inst.call_put, marks, ret,
                                inst.currency_id, no_fx, 0.0, s.vol_points / 100.0, unit)
        # value after = (value before + local P&L) at the shocked rate; FX P&L on the existing value too
        value0 = np.where(inst.is_option, 0.0, marks * inst.multiplier)
        if inst.is_option.any():
            opt = inst.is_option
            v0 = np.array([rk.bsm_price_nb(marks[inst.underlying[i]], inst.strike[i], inst.expiry_years(ts)[i],
                                           inst.vol[i], inst.rate[i], inst.div_yield[i], inst.call_put[i])
                           for i in np.flatnonzero(opt)])
            value0[opt] = v0 * inst.multiplier[opt]
        per_unit = (value0 + unit[:, 0]) * fx1 - value0 * fx0
        book = ordered_matmul(pos, per_unit[:, None])[:, 0]  # the same bits whatever BLAS's threads
        rows[s.name] = [*book, book.sum()]
    return pd.DataFrame.from_dict(rows, orient="index", columns=[*range(n_books), "desk"])
