"""Scenario returns per instrument for historical VaR: drawn from the market's model or supplied.

A scenario set is a matrix of one-day simple returns, one row per instrument and one column
per scenario (e.g. 500 days). :func:`simulate_scenarios` draws it from the same correlated
GBM the market uses (:func:`tradeflow.market.paths.correlated_normals`, the configured
volatilities and correlation, 252 trading days a year); :func:`scenarios_from_frame` takes a
user's history (one column per symbol, one row per day) and validates it.

Options need no column of their own: the risk engine revalues them from their underlying's
return.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tradeflow.config import MarketConfig
from tradeflow.market.paths import TRADING_DAYS_PER_YEAR, correlated_normals

__all__ = ["simulate_scenarios", "scenarios_from_frame"]


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
