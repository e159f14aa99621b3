"""Scenario returns for historical VaR: instruments and FX rates, drawn from the market's model or supplied.

A scenario set is a matrix of one-day simple returns, one row per instrument and one column
per scenario (e.g. 500 days). :func:`simulate_scenarios` draws it from the same correlated
GBM the market uses (:func:`tradeflow.market.paths.correlated_normals`, the configured
volatilities and correlation, 252 trading days a year); :func:`scenarios_from_frame` takes a
user's history (one column per symbol, one row per day) and validates it.

FX scenarios are a second matrix, one row per currency of ``MarketConfig.currencies`` (the
base currency first, its row all zeros): the one-day simple return of the base-currency
value of one unit of the currency. :func:`simulate_fx_scenarios` draws them from the
market's FX model (each configured pair a driftless GBM at its volatility, independent of
the instruments, as in :func:`tradeflow.market.paths.simulate_market`);
:func:`fx_scenarios_from_frame` takes a user's history. Without FX scenarios the risk engine
holds every rate at its current value, so FX risk shows only in stress tests.

Options need no column of their own: the risk engine revalues them from their underlying's
return.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tradeflow.config import MarketConfig
from tradeflow.market.paths import TRADING_DAYS_PER_YEAR, correlated_normals

__all__ = ["simulate_scenarios", "scenarios_from_frame", "simulate_fx_scenarios", "fx_scenarios_from_frame"]


def simulate_scenarios(cfg: MarketConfig, rng: np.random.Generator, n_scenarios: int = 500) -> np.ndarray:
    """Daily simple returns of every instrument from the market's correlated model.

    Parameters
    ----------
    cfg : MarketConfig
        Volatilities, drifts and correlation of the instruments.
    rng : numpy.random.Generator
    n_scenarios : int, default=500

    Returns
    -------
    float64 ndarray of shape (n_instruments, n_scenarios)
        ``exp((mu - sigma^2 / 2) dt + sigma sqrt(dt) z) - 1`` with ``dt = 1/252``.

    Examples
    --------
    >>> import numpy as np
    >>> from tradeflow.config import MarketConfig
    >>> r = simulate_scenarios(MarketConfig(), np.random.default_rng(0), 250)
    >>> r.shape
    (10, 250)
    """
    if isinstance(n_scenarios, bool) or not isinstance(n_scenarios, int | np.integer) or n_scenarios < 1:
        raise ValueError(f"The 'n_scenarios' parameter of simulate_scenarios must be a positive int. "
                         f"Got {n_scenarios!r} instead.")
    vol = np.array([i.volatility for i in cfg.instruments], dtype=np.float64)
    drift = np.array([i.drift for i in cfg.instruments], dtype=np.float64)
    dt = 1.0 / TRADING_DAYS_PER_YEAR
    z = correlated_normals(rng, cfg.correlation_matrix(), int(n_scenarios))
    return np.expm1((drift - 0.5 * vol**2)[:, None] * dt + vol[:, None] * np.sqrt(dt) * z)


def scenarios_from_frame(frame: pd.DataFrame, symbols: list[str] | tuple[str, ...],
                         optional: tuple[str, ...] = ()) -> np.ndarray:
    """Validate a user's scenario returns and align them to the instrument order.

    Parameters
    ----------
    frame : DataFrame
        One column per symbol, one row per scenario (day), simple returns (0.01 = +1%).
        Extra columns are ignored.
    symbols : sequence of str
        The instruments, in id order.
    optional : tuple of str
        Symbols that may be missing (options, revalued from their underlying); their rows are 0.

    Returns
    -------
    float64 ndarray of shape (n_instruments, n_scenarios)

    Raises
    ------
    ValueError
        If a symbol is missing, a return is not finite or is <= -1 (a price below zero), or
        there are no rows.
    """
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"scenario returns must be a DataFrame with one column per symbol. Got {type(frame)!r}.")
    if len(frame) == 0:
        raise ValueError("scenario returns have no rows; need at least one scenario")
    missing = [s for s in symbols if s not in frame.columns and s not in optional]
    if missing:
        raise ValueError(f"scenario returns have no column for instrument(s) {missing}")
    out = np.zeros((len(symbols), len(frame)), dtype=np.float64)
    for i, sym in enumerate(symbols):
        if sym not in frame.columns:
            continue
        col = pd.to_numeric(frame[sym], errors="coerce").to_numpy(np.float64)
        bad = ~np.isfinite(col) | (col <= -1.0)
        if bad.any():
            j = int(np.flatnonzero(bad)[0])
            raise ValueError(f"scenario return of {sym!r} in row {j} must be a finite number > -1. "
                             f"Got {frame[sym].iloc[j]!r} instead.")
        out[i] = col
    return out


def _check_n(n_scenarios, fn: str) -> int:
    if isinstance(n_scenarios, bool) or not isinstance(n_scenarios, int | np.integer) or n_scenarios < 1:
        raise ValueError(f"The 'n_scenarios' parameter of {fn} must be a positive int. Got {n_scenarios!r} instead.")
    return int(n_scenarios)


def simulate_fx_scenarios(cfg: MarketConfig, rng: np.random.Generator, n_scenarios: int = 500) -> np.ndarray:
    """Daily simple returns of every currency's base-currency value from the market's FX model.

    Each pair of ``cfg.fx_rates`` moves as the market simulates it: a driftless GBM at the
    pair's volatility, ``exp(-sigma^2 dt / 2 + sigma sqrt(dt) z) - 1`` with ``dt = 1/252``,
    independent of the instruments and of the other pairs. A currency quoted as ``CCYBASE``
    (EURUSD: USD per EUR) takes the pair's return; one quoted ``BASECCY`` (USDJPY) the
    inverse, ``1 / (1 + r) - 1``. One row of normals is drawn per configured pair, in order.

    Parameters
    ----------
    cfg : MarketConfig
    rng : numpy.random.Generator
    n_scenarios : int, default=500

    Returns
    -------
    float64 ndarray of shape (len(cfg.currencies), n_scenarios)
        Row ``c`` for ``cfg.currencies[c]``; row 0, the base currency, is zeros.

    Examples
    --------
    >>> import numpy as np
    >>> from tradeflow.config import MarketConfig
    >>> f = simulate_fx_scenarios(MarketConfig(), np.random.default_rng(0), 250)
    >>> f.shape, bool(np.all(f[0] == 0.0))
    ((2, 250), True)
    """
    n = _check_n(n_scenarios, "simulate_fx_scenarios")
    dt = 1.0 / TRADING_DAYS_PER_YEAR
    ccys = cfg.currencies
    base = cfg.base_currency
    out = np.zeros((len(ccys), n))
    z = rng.standard_normal((len(cfg.fx_rates), n))
    for k, pair in enumerate(cfg.fx_rates):
        log_r = -0.5 * pair.volatility**2 * dt + pair.volatility * np.sqrt(dt) * z[k]
        if pair.quote == base and pair.base in ccys:
            out[ccys.index(pair.base)] = np.expm1(log_r)
        elif pair.base == base and pair.quote in ccys:
            out[ccys.index(pair.quote)] = np.expm1(-log_r)
    return out


def fx_scenarios_from_frame(frame: pd.DataFrame, currencies: list[str] | tuple[str, ...],
                            n_scenarios: int | None = None) -> np.ndarray:
    """Validate a user's FX scenario returns and align them to the currencies (base first).

    Parameters
    ----------
    frame : DataFrame
        One row per scenario (in the order of the instrument scenarios), simple returns. For
        each non-base currency ``CCY`` (base ``BASE``) a column ``CCY`` or ``CCYBASE`` (the
        return of the base-currency value of one ``CCY``), or ``BASECCY`` (the return of the
        pair quoted the other way; inverted). Other columns are ignored.
    currencies : sequence of str
        The currencies, base currency first (e.g. ``MarketData.currencies``).
    n_scenarios : int, optional
        The number of rows the frame must have (the instrument scenarios').

    Returns
    -------
    float64 ndarray of shape (len(currencies), n_rows); row 0 is zeros.

    Raises
    ------
    ValueError
        If a currency has no column, the row count is wrong, or a return is not finite or <= -1.

    Examples
    --------
    >>> import pandas as pd
    >>> fx_scenarios_from_frame(pd.DataFrame({"USDJPY": [0.25]}), ["USD", "JPY"]).round(6).tolist()
    [[0.0], [-0.2]]
    """
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"FX scenario returns must be a DataFrame with one column per currency. Got {type(frame)!r}.")
    if n_scenarios is not None and len(frame) != n_scenarios:
        raise ValueError(f"FX scenario returns must have one row per scenario ({n_scenarios}). Got {len(frame)} rows.")
    if len(frame) == 0:
        raise ValueError("FX scenario returns have no rows; need at least one scenario")
    base = currencies[0]
    out = np.zeros((len(currencies), len(frame)))
    missing = []
    for c, ccy in enumerate(currencies):
        if c == 0:
            continue
        names = [n for n in (ccy, ccy + base, base + ccy) if n in frame.columns]
        if not names:
            missing.append(ccy)
            continue
        name = names[0]
        col = pd.to_numeric(frame[name], errors="coerce").to_numpy(np.float64)
        bad = ~np.isfinite(col) | (col <= -1.0)
        if bad.any():
            j = int(np.flatnonzero(bad)[0])
            raise ValueError(f"FX scenario return of {name!r} in row {j} must be a finite number > -1. "
                             f"Got {frame[name].iloc[j]!r} instead.")
        out[c] = 1.0 / (1.0 + col) - 1.0 if name == base + ccy else col
    if missing:
        raise ValueError(f"FX scenario returns have no column for currency(ies) {missing} "
                         f"(name a column {missing[0]!r} or {missing[0] + base!r})")
    return out
