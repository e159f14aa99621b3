"""P&L explain: a day's P&L per book split into what caused it, with an unexplained residual."""

from __future__ import annotations

import numpy as np

from tradeflow.schema import EXPLAIN_DT

__all__ = ["explain_day", "explain_greeks"]


def explain_day(*, trade_date: int, fills: np.ndarray, prev_qty: np.ndarray, prev_marks: np.ndarray,
                marks: np.ndarray, prev_fx: np.ndarray, fx: np.ndarray, prev_local_pnl: np.ndarray,
                local_pnl: np.ndarray, penalties: np.ndarray, instrument_ccy: np.ndarray) -> np.ndarray:
    """Explain each book's P&L for one day (linear instruments), in the base currency.

    With ``L`` a book's cumulative P&L in an instrument's currency and ``X`` the currency's
    value in the base currency, the day's base P&L ``L1 X1 - L0 X0`` is split into

    * new-trade P&L: ``sum(s q (close - price))`` over today's fills, at ``X1``;
    * market move: yesterday's position x (close - previous close), at ``X1``;
    * fees: ``-sum(fee)`` of today's fills, at ``X1``;
    * penalties: settlement-fail penalties charged today (minus: paid), at ``X1``;
    * FX translation: ``L0 (X1 - X0)``;
    * residual: the total less all of the above (float rounding for linear instruments).

    Parameters
    ----------
    trade_date : int
    fills : FILL_DT records of the day
    prev_qty : int64 ndarray of shape (n_books, n_instruments)
        Positions at the previous close.
    prev_marks, marks : float64 ndarray of shape (n_instruments,)
        Previous and today's closing marks.
    prev_fx, fx : float64 ndarray of shape (n_currencies,)
        Base-currency value of one unit of each currency at the previous and today's close.
    prev_local_pnl, local_pnl : float64 ndarray of shape (n_books, n_instruments)
        The front office's cumulative P&L (realized + unrealized - fees) at both closes.
    penalties : float64 ndarray of shape (n_books, n_currencies)
        Penalties the book paid today (> 0) or received (< 0), in currency units.
    instrument_ccy : int ndarray of shape (n_instruments,)

    Returns
    -------
    ndarray of EXPLAIN_DT, one row per book.
    """
    n_books, n_inst = prev_qty.shape
    ccy = np.asarray(instrument_ccy, np.int64)
    x1 = fx[ccy]
    inst = fills["instrument"]
    s = fills["side"].astype(np.float64)
    new = np.zeros((n_books, n_inst))
    np.add.at(new, (fills["book"], inst), s * fills["qty"] * (marks[inst] - fills["price"]))
    fees = np.zeros((n_books, n_inst))
    np.add.at(fees, (fills["book"], inst), fills["fee"])
    move = prev_qty * (marks - prev_marks)[None, :]
    pen = penalties @ fx
    out = np.zeros(n_books, dtype=EXPLAIN_DT)
    out["trade_date"] = trade_date
    out["book"] = np.arange(n_books)
    out["total_pnl"] = (local_pnl * x1).sum(axis=1) - (prev_local_pnl * prev_fx[ccy]).sum(axis=1) - pen
    out["new_trade_pnl"] = (new * x1).sum(axis=1)
    out["market_move_pnl"] = (move * x1).sum(axis=1)
    out["fees"] = -(fees * x1).sum(axis=1)
    out["penalties"] = -pen
    out["fx_translation"] = (prev_local_pnl * (x1 - prev_fx[ccy])).sum(axis=1)
    out["residual"] = out["total_pnl"] - (out["new_trade_pnl"] + out["market_move_pnl"] + out["fees"]
                                          + out["penalties"] + out["fx_translation"])
    return out


def explain_greeks(*, delta, gamma, vega, theta, d_spot, d_vol, dt, actual_pnl) -> dict[str, np.ndarray]:
    """Second-order Greek explain of option P&L: ``delta dS + 1/2 gamma dS^2 + vega dsigma + theta dt``.

    All inputs broadcast together (one entry per position); Greeks are per position
    (already times quantity and multiplier), ``vega`` per unit of volatility (0.01 = 1
    vol point), ``theta`` per unit of ``dt`` (e.g. per year with ``dt`` in years).

    Returns
    -------
    dict of ndarray
        ``delta``, ``gamma``, ``vega``, ``theta`` contributions, ``explained`` (their sum)
        and ``residual`` (``actual_pnl - explained``: higher-order and cross terms).
    """
    d_spot, d_vol, dt = (np.asarray(x, np.float64) for x in (d_spot, d_vol, dt))
    parts = {
        "delta": np.asarray(delta, np.float64) * d_spot,
        "gamma": 0.5 * np.asarray(gamma, np.float64) * d_spot**2,
        "vega": np.asarray(vega, np.float64) * d_vol,
        "theta": np.asarray(theta, np.float64) * dt,
    }
    parts["explained"] = parts["delta"] + parts["gamma"] + parts["vega"] + parts["theta"]
    parts["residual"] = np.asarray(actual_pnl, np.float64) - parts["explained"]
    return parts
