"""The instrument table as the risk kernels need it: asset-class codes and option terms as arrays.

The table is the one :func:`tradeflow.market.instrument_table` builds (``instrument, symbol,
asset_class, currency_id, multiplier, volatility, ...``). Options are rows with
``asset_class == "option"`` and the columns

* ``underlying``: the underlying's instrument id (int) or symbol (str),
* ``strike``: in the option's currency,
* ``expiry``: a timestamp (datetime64 / pandas Timestamp / ISO string) or int64 ns since epoch,
* ``call_put`` (or ``option_type`` / ``right``): ``"C"``/``"call"``/``+1`` or ``"P"``/``"put"``/``-1``,
* optionally ``implied_vol`` (else the row's ``volatility``, else the underlying's), ``rate`` and
  ``dividend_yield`` (else :class:`~tradeflow.config.RiskConfig` defaults).

Non-option rows are linear: a unit gains ``multiplier * price change``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tradeflow.core.time import NS_PER_YEAR
from tradeflow.middle import _risk_kernels as rk

__all__ = ["InstrumentRisk", "instrument_risk", "NS_PER_YEAR"]

# ACT/365: option time to expiry in years = calendar nanoseconds / NS_PER_YEAR (tradeflow.core.time)


@dataclass(frozen=True, slots=True)
class InstrumentRisk:
    """Per-instrument arrays (shape (n_instruments,)) for the risk kernels."""

    asset_class: np.ndarray  # int64: AC_LINEAR / AC_OPTION
    underlying: np.ndarray  # int64: the underlying's id for options, the instrument itself otherwise
    multiplier: np.ndarray
    strike: np.ndarray
    expiry_ns: np.ndarray  # int64; 0 for non-options
    vol: np.ndarray  # implied volatility of options (per year, 0.2 = 20%)
    rate: np.ndarray
    div_yield: np.ndarray
    call_put: np.ndarray  # float64 +1 / -1 (0 for non-options)
    currency_id: np.ndarray

    @property
    def n(self) -> int:
        return self.asset_class.shape[0]

    @property
    def is_option(self) -> np.ndarray:
        return self.asset_class == rk.AC_OPTION

    def expiry_years(self, ts: int) -> np.ndarray:
        """Time to expiry (ACT/365 years) of every instrument at ``ts`` (0 for non-options)."""
        return np.where(self.is_option, (self.expiry_ns - np.int64(ts)) / NS_PER_YEAR, 0.0)


def _call_put(v: object, sym: str) -> float:
    if isinstance(v, str):
        key = v.strip().lower()
        if key in ("c", "call"):
            return 1.0
        if key in ("p", "put"):
            return -1.0
    elif isinstance(v, int | float | np.integer | np.floating) and v in (1, -1):
        return float(v)
    raise ValueError(f"option {sym!r}: call_put must be 'C'/'call'/+1 or 'P'/'put'/-1. Got {v!r} instead.")


def _expiry_ns(v: object, sym: str) -> int:
    if isinstance(v, int | np.integer) and not isinstance(v, bool):
        return int(v)
    try:
        ts = pd.Timestamp(v)
    except (TypeError, ValueError):
        ts = pd.NaT
    if ts is pd.NaT or pd.isna(ts):
        raise ValueError(f"option {sym!r}: expiry must be a timestamp or int ns since epoch. Got {v!r} instead.")
    if ts.tzinfo is None:
        ts = ts.tz_localize("UTC")
    return int(ts.value)


def instrument_risk(table: pd.DataFrame, *, risk_free_rate: float = 0.04, dividend_yield: float = 0.0
                    ) -> InstrumentRisk:
    """Arrays of the instrument table for the risk kernels, validated.

    Parameters
    ----------
    table : DataFrame
        The instrument table, one row per instrument in id order.
    risk_free_rate, dividend_yield : float
        Defaults for options when the table has no ``rate`` / ``dividend_yield`` column.

    Raises
    ------
    ValueError
        If an option misses a column, names an unknown underlying (or another option), or
        has a non-positive strike or a bad expiry / call_put.
    """
    n = len(table)
    symbols = [str(s) for s in table["symbol"]] if "symbol" in table else [str(k) for k in range(n)]
    # a list comprehension: pandas' string methods took ~1 ms for a ten-row table
    ac = np.array([str(a).lower() for a in table["asset_class"]] if "asset_class" in table else ["equity"] * n,
                  dtype=object)
    is_opt = ac == "option"
    mult = table["multiplier"].to_numpy(np.float64) if "multiplier" in table else np.ones(n)
    if not np.all(np.isfinite(mult) & (mult > 0)):
        raise ValueError("instrument 'multiplier' must be finite and positive")
    base_vol = table["volatility"].to_numpy(np.float64) if "volatility" in table else np.full(n, np.nan)
    ccy = table["currency_id"].to_numpy(np.int64) if "currency_id" in table else np.zeros(n, np.int64)
    underlying = np.arange(n, dtype=np.int64)
    strike = np.zeros(n)
    expiry = np.zeros(n, np.int64)
    vol = np.zeros(n)
    rate = np.full(n, float(risk_free_rate))
    div = np.full(n, float(dividend_yield))
    cp = np.zeros(n)
    if is_opt.any():
        # accept the usual spellings of the option columns
        aliases = {"underlying": ("underlying", "underlying_id", "underlying_symbol"),
                   "strike": ("strike", "strike_price"), "expiry": ("expiry", "expiry_ts", "expiry_date", "maturity"),
                   "call_put": ("call_put", "option_type", "right", "put_call", "cp", "is_call")}
        found = {}
        for key, names in aliases.items():
            col = next((c for c in names if c in table), None)
            if col is None:
                raise ValueError(f"the instrument table has options but no {key!r} column (any of {names})")
            found[key] = col
        table = table.rename(columns={v: k for k, v in found.items() if k != "call_put"})
        cp_col = found["call_put"]
        if cp_col == "is_call":
            table = table.assign(is_call=np.where(table["is_call"].astype(bool), 1, -1))
        index = {s: k for k, s in enumerate(symbols)}
        for k in np.flatnonzero(is_opt):
            sym = symbols[k]
            row = table.iloc[k]
            u = row["underlying"]
            u = index.get(u, -1) if isinstance(u, str) else int(u)
            if not (0 <= u < n) or is_opt[u]:
                raise ValueError(f"option {sym!r}: underlying {row['underlying']!r} is not a known non-option "
                                 "instrument")
            underlying[k] = u
            strike[k] = float(row["strike"])
            if not (np.isfinite(strike[k]) and strike[k] > 0):
                raise ValueError(f"option {sym!r}: strike must be a positive number. Got {row['strike']!r} instead.")
            expiry[k] = _expiry_ns(row["expiry"], sym)
            cp[k] = _call_put(row[cp_col], sym)
            v = float(row["implied_vol"]) if "implied_vol" in table else np.nan
            if not np.isfinite(v):
                v = base_vol[k] if np.isfinite(base_vol[k]) else base_vol[u]
            if not (np.isfinite(v) and v >= 0):
                raise ValueError(f"option {sym!r}: no usable implied volatility (got {v!r})")
            vol[k] = v
            if "rate" in table and np.isfinite(row["rate"]):
                rate[k] = float(row["rate"])
            if "dividend_yield" in table and np.isfinite(row["dividend_yield"]):
                div[k] = float(row["dividend_yield"])
    return InstrumentRisk(asset_class=np.where(is_opt, rk.AC_OPTION, rk.AC_LINEAR).astype(np.int64),
                          underlying=underlying, multiplier=mult, strike=strike, expiry_ns=expiry, vol=vol,
                          rate=rate, div_yield=div, call_put=cp, currency_id=ccy)
