"""The desk's real-time loop: pre-trade checks, fills and P&L, in time order."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tradeflow.config import PreTradeConfig
from tradeflow.front.execution import CandidateFills
from tradeflow.market.paths import MarketData
from tradeflow.middle import _kernels
from tradeflow.schema import FILL_DT, ORDER_EVENT_DT, PNL_DT, POSITION_DT

__all__ = ["DeskOutcome", "run_desk", "position_records"]


@dataclass(frozen=True, slots=True)
class DeskOutcome:
    """What the middle office knows at the close.

    Attributes
    ----------
    orders : ORDER_DT records with final status
    fills : FILL_DT records, in time order
    events : ORDER_EVENT_DT records, in time order
    pnl : PNL_DT snapshots (one row per book per snapshot time), base currency
    positions : POSITION_DT records per book x instrument, marked at the close
    """

    orders: np.ndarray
    fills: np.ndarray
    events: np.ndarray
    pnl: np.ndarray
    positions: np.ndarray


def _snapshot_times(market: MarketData, close_ts: int, interval_s: float) -> np.ndarray:
    step = int(round(interval_s * 1e9))
    ts = np.arange(market.times[0] + step, close_ts, step, dtype=np.int64)
    return np.append(ts, np.int64(close_ts))


def position_records(pos, avg, realized, fees, n_fills, marks) -> np.ndarray:
    """POSITION_DT records for every book x instrument from the loop's state arrays."""
    n_books, n_inst = pos.shape
    out = np.zeros(n_books * n_inst, dtype=POSITION_DT)
    out["book"] = np.repeat(np.arange(n_books), n_inst)
    out["instrument"] = np.tile(np.arange(n_inst), n_books)
    out["qty"] = pos.ravel()
    out["avg_price"] = avg.ravel()
    out["realized_pnl"] = realized.ravel()
    out["fees"] = fees.ravel()
    out["n_fills"] = n_fills.ravel()
    m = np.tile(marks, n_books)
    out["mark"] = m
    out["unrealized_pnl"] = np.where(out["qty"] != 0, out["qty"] * (m - out["avg_price"]), 0.0)
    return out


def run_desk(orders: np.ndarray, candidates: CandidateFills, market: MarketData, limits: PreTradeConfig,
             *, n_books: int, close_ts: int, pnl_interval_s: float) -> DeskOutcome:
    """Run the middle office over a session's orders.

    Parameters
    ----------
    orders : ndarray of ORDER_DT
        Client orders sorted by ``ts``; not modified (a copy is returned).
    candidates : CandidateFills
        The fill model's answer for every order.
    market : MarketData
    limits : PreTradeConfig
    n_books : int
    close_ts : int
        Session close (ns); working day orders expire then.
    pnl_interval_s : float
        Spacing of P&L snapshots.
    """
    orders = orders.copy()
    n = orders.shape[0]
    if n and np.any(np.diff(orders["ts"]) < 0):
        raise ValueError("orders must be sorted by 'ts'")
    if n and (orders["book"].min() < 0 or orders["book"].max() >= n_books):
        raise ValueError(f"order 'book' out of range [0, {n_books}): {orders['book'].min()}..{orders['book'].max()}")
    n_inst = market.n_instruments
    if n and (orders["instrument"].min() < 0 or orders["instrument"].max() >= n_inst):
        raise ValueError(f"order 'instrument' out of range [0, {n_inst})")
    inst_ccy = market.instruments["currency_id"].to_numpy(np.int64)
    step = market.step_of(orders["ts"])
    order_fx = market.fx[inst_ccy[orders["instrument"]], step]

    symbols = list(market.instruments["symbol"])
    max_position = np.full(n_inst, limits.max_position_qty, dtype=np.int64)
    for sym, q in limits.max_position_qty_by_symbol.items():
        max_position[symbols.index(sym)] = q

    snap_ts = _snapshot_times(market, close_ts, pnl_interval_s)
    snap_step = market.step_of(snap_ts).astype(np.int64)
    resting = (~candidates.taker) & (candidates.ts >= 0)
    rest_idx = np.flatnonzero(resting)
    ev_ts = np.concatenate([candidates.ts[rest_idx], orders["ts"], snap_ts])
    ev_kind = np.concatenate([np.full(rest_idx.size, _kernels.EV_FILL), np.full(n, _kernels.EV_ARRIVAL),
                              np.full(snap_ts.size, _kernels.EV_SNAPSHOT)]).astype(np.int64)
    ev_ref = np.concatenate([rest_idx, np.arange(n), np.arange(snap_ts.size)]).astype(np.int64)
    order_ = np.lexsort((ev_ref, ev_kind, ev_ts))

    shape = (n_books, n_inst)
    pos = np.zeros(shape, np.int64)
    avg = np.zeros(shape)
    realized = np.zeros(shape)
    fees = np.zeros(shape)
    n_fills = np.zeros(shape, np.int64)
    working_buy = np.zeros(shape, np.int64)
    working_sell = np.zeros(shape, np.int64)
    fills = np.zeros(n, dtype=FILL_DT)
    events = np.zeros(2 * n, dtype=ORDER_EVENT_DT)
    pnl = np.zeros(snap_ts.size * n_books, dtype=PNL_DT)
    nf, ne = _kernels.desk_loop_nb(
        ev_kind[order_], ev_ref[order_], orders, candidates.ts, candidates.price, candidates.taker,
        candidates.fee, order_fx, inst_ccy, float(limits.price_collar_bps), int(limits.max_order_qty),
        float(limits.max_order_notional), max_position, snap_ts, snap_step, market.mid, market.fx,
        np.int64(close_ts), pos, avg, realized, fees, n_fills, working_buy, working_sell, fills, events, pnl,
    )
    events = events[:ne]
    events = events[np.argsort(events["ts"], kind="stable")]
    events["event_id"] = np.arange(ne)
    positions = position_records(pos, avg, realized, fees, n_fills, market.mid[:, -1])
    return DeskOutcome(orders=orders, fills=fills[:nf], events=events, pnl=pnl, positions=positions)
