"""P&L explain: a day's P&L per book split into what caused it, with an unexplained residual."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tradeflow.core.linalg import ordered_matmul
from tradeflow.core.pricing import bsm_greeks_vec_nb
from tradeflow.market.options import NS_PER_YEAR
from tradeflow.schema import EXPLAIN_DT, NS_PER_DAY

__all__ = ["explain_day", "explain_greeks", "OptionTerms", "black_scholes_greeks"]


def explain_day(*, trade_date: int, fills: np.ndarray, prev_qty: np.ndarray, prev_marks: np.ndarray,
                marks: np.ndarray, prev_fx: np.ndarray, fx: np.ndarray, prev_local_pnl: np.ndarray,
                local_pnl: np.ndarray, penalties: np.ndarray, instrument_ccy: np.ndarray,
                multiplier: np.ndarray | None = None, options: OptionTerms | None = None) -> np.ndarray:
    """Explain each book's P&L for one day, in the base currency.

    With ``L`` a book's cumulative P&L in an instrument's currency and ``X`` the currency's
    value in the base currency, the day's base P&L ``L1 X1 - L0 X0`` is split into

    * new-trade P&L: ``sum(s q (close - price) m)`` over today's fills, at ``X1``
      (``m`` the contract multiplier);
    * market move: yesterday's position x (close - previous close) x ``m`` for linear
      instruments; for options the Greek (Taylor) terms at the previous close,
      ``q m (delta dS + 1/2 gamma dS^2 + vega dsigma + theta dt)`` (also reported one by one
      in the ``option_*_pnl`` columns), at ``X1``;
    * fees: ``-sum(fee)`` of today's fills, at ``X1``;
    * penalties: settlement-fail penalties charged today (minus: paid), at ``X1``;
    * FX translation: ``L0 (X1 - X0)``;
    * residual: the total less all of the above: float rounding for linear instruments,
      the higher-order and cross terms of the options' revaluation.

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
    multiplier : float64 ndarray of shape (n_instruments,), optional
        Contract multipliers (default 1).
    options : OptionTerms, optional
        The option rows' terms and the two closes' times; without it every instrument is
        explained as linear (exact revaluation, no Greek split).

    Returns
    -------
    ndarray of EXPLAIN_DT, one row per book.
    """
    n_books, n_inst = prev_qty.shape
    ccy = np.asarray(instrument_ccy, np.int64)
    mult = np.ones(n_inst) if multiplier is None else np.asarray(multiplier, np.float64)
    x1 = fx[ccy]
    inst = fills["instrument"]
    s = fills["side"].astype(np.float64)
    # per book x instrument sums, in fill order (as numpy.add.at adds: the same floats)
    cell = fills["book"].astype(np.int64) * n_inst + inst
    new = np.bincount(cell, s * fills["qty"] * (marks[inst] - fills["price"]) * mult[inst],
                      minlength=n_books * n_inst).reshape(n_books, n_inst)
    fees = np.bincount(cell, fills["fee"], minlength=n_books * n_inst).reshape(n_books, n_inst)
    unit_move = (marks - prev_marks) * mult
    greeks = {k: np.zeros(n_inst) for k in ("delta", "gamma", "vega", "theta")}
    if options is not None and options.rows.size:
        parts = options.unit_explain(prev_marks, marks)
        for k in greeks:
            greeks[k][options.rows] = parts[k] * mult[options.rows]
        unit_move[options.rows] = sum(greeks[k][options.rows] for k in greeks)
    move = prev_qty * unit_move[None, :]
    pen = ordered_matmul(penalties, fx[:, None])[:, 0]  # the same bits whatever BLAS's threads
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
    for k, g in greeks.items():
        out[f"option_{k}_pnl"] = ((prev_qty * g[None, :]) * x1).sum(axis=1)
    return out


@dataclass(frozen=True)
class OptionTerms:
    """The option rows of an instrument table and the closes between which a day is explained.

    Greeks are Black-Scholes at the previous close with zero rates and dividends and
    ACT/365 time to expiry, as the market prices its options (see
    :mod:`tradeflow.market.options`); volatility is the option's flat ``volatility``.

    Parameters
    ----------
    rows : int64 ndarray
        Instrument ids of the options.
    underlying : int64 ndarray
        Each option's underlying instrument id.
    strike, vol : float64 ndarray
    is_call : bool ndarray
    expiry_ns : int64 ndarray
        Expiry (the expiry day's session close), ns since epoch.
    prev_close_ns, close_ns : int
        The previous and today's close.
    prev_vol : float64 ndarray, optional
        The volatility at the previous close (default: ``vol``, a flat surface: no vega P&L).
    """

    rows: np.ndarray
    underlying: np.ndarray
    strike: np.ndarray
    vol: np.ndarray
    is_call: np.ndarray
    expiry_ns: np.ndarray
    prev_close_ns: int
    close_ns: int
    prev_vol: np.ndarray | None = None

    @classmethod
    def from_table(cls, instruments, *, prev_close_ns: int, close_ns: int, session_close_ns: int) -> OptionTerms:
        """The options of an instrument table (``asset_class == "option"``)."""
        opt = np.flatnonzero(instruments["asset_class"].to_numpy(object) == "option") \
            if "asset_class" in instruments else np.zeros(0, np.int64)
        if opt.size == 0:  # no options (a pandas row selection of none still cost ~1 ms a day)
            none = np.zeros(0)
            return cls(rows=np.zeros(0, np.int64), underlying=np.zeros(0, np.int64), strike=none, vol=none,
                       is_call=np.zeros(0, bool), expiry_ns=np.zeros(0, np.int64), prev_close_ns=int(prev_close_ns),
                       close_ns=int(close_ns))
        t = instruments.iloc[opt]
        return cls(rows=opt.astype(np.int64), underlying=t["underlying"].to_numpy(np.int64),
                   strike=t["strike"].to_numpy(np.float64), vol=t["volatility"].to_numpy(np.float64),
                   is_call=(t["call_put"].to_numpy(object) == "C"),
                   expiry_ns=t["expiry"].to_numpy(np.int64) * NS_PER_DAY + session_close_ns,
                   prev_close_ns=int(prev_close_ns), close_ns=int(close_ns))

    def unit_explain(self, prev_marks: np.ndarray, marks: np.ndarray) -> dict[str, np.ndarray]:
        """Delta, gamma, vega and theta P&L of one unit of each option (before the multiplier).

        An option already expired at the previous close moves with its mark (all in ``delta``).
        """
        s0 = prev_marks[self.underlying]
        ds = marks[self.underlying] - s0
        tau = (self.expiry_ns - self.prev_close_ns) / NS_PER_YEAR
        dt = (self.close_ns - self.prev_close_ns) / NS_PER_YEAR
        vol0 = self.vol if self.prev_vol is None else self.prev_vol
        delta, gamma, vega, theta = black_scholes_greeks(s0, self.strike, np.maximum(tau, 1e-12), vol0, self.is_call)
        parts = explain_greeks(delta=delta, gamma=gamma, vega=vega, theta=theta, d_spot=ds, d_vol=self.vol - vol0,
                               dt=dt, actual_pnl=0.0)
        out = {k: parts[k] for k in ("delta", "gamma", "vega", "theta")}
        dead = (tau <= 0) | (vol0 <= 0)
        if np.any(dead):
            out["delta"] = np.where(dead, marks[self.rows] - prev_marks[self.rows], out["delta"])
            for k in ("gamma", "vega", "theta"):
                out[k] = np.where(dead, 0.0, out[k])
        return out


def black_scholes_greeks(spot: np.ndarray, strike: np.ndarray, t_years: np.ndarray, vol: np.ndarray,
                         is_call: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Black-Scholes delta, gamma, vega (per unit of volatility) and theta (per year), zero rates.

    The package's one implementation (:func:`tradeflow.core.pricing.bsm_greeks_nb`), with no
    rates or dividends.

    Parameters
    ----------
    spot, strike, t_years, vol : float64 ndarray (broadcast together)
    is_call : bool ndarray
    """
    arrs = np.broadcast_arrays(*(np.asarray(x, np.float64) for x in (spot, strike, t_years, vol)),
                               np.where(np.asarray(is_call, bool), 1.0, -1.0))
    shape = arrs[0].shape
    s, k, t, v, cp = (np.ascontiguousarray(a).ravel() for a in arrs)
    out = np.empty((s.shape[0], 6))
    zero = np.zeros(s.shape[0])
    bsm_greeks_vec_nb(s, k, t, v, zero, zero, cp, out)
    return tuple(out[:, j].reshape(shape) for j in (1, 2, 3, 4))


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
