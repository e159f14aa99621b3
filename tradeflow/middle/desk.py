"""The desk's real-time loop: pre-trade checks, fills and P&L, in time order."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tradeflow.config import PreTradeConfig
from tradeflow.market.paths import MarketData
from tradeflow.middle import _kernels
from tradeflow.schema import FILL_DT, ORDER_EVENT_DT, PNL_DT, POSITION_DT

__all__ = ["DeskState", "DeskOutcome", "run_desk"]


@dataclass(slots=True)
class DeskState:
    """Per book x instrument state the loop carries from one session to the next.

    Arrays of shape (n_books, n_instruments): position (shares), average cost,
    cumulative realized P&L, cumulative fees (instrument currency) and fill counts.
    """

    pos: np.ndarray
    avg: np.ndarray
    realized: np.ndarray
    fees: np.ndarray
    n_fills: np.ndarray
    n_fills_total: int = field(default=0)

    @classmethod
    def flat(cls, n_books: int, n_instruments: int) -> DeskState:
        """A desk with no positions."""
        shape = (n_books, n_instruments)
        return cls(pos=np.zeros(shape, np.int64), avg=np.zeros(shape), realized=np.zeros(shape),
                   fees=np.zeros(shape), n_fills=np.zeros(shape, np.int64))

    @property
    def shape(self) -> tuple[int, int]:
        return self.pos.shape

    def positions(self, marks: np.ndarray, trade_date: int) -> np.ndarray:
        """POSITION_DT records for every book x instrument, marked at ``marks``."""
        n_books, n_inst = self.shape
        out = np.zeros(n_books * n_inst, dtype=POSITION_DT)
        out["trade_date"] = trade_date
        out["book"] = np.repeat(np.arange(n_books), n_inst)
        out["instrument"] = np.tile(np.arange(n_inst), n_books)
        out["qty"] = self.pos.ravel()
        out["avg_price"] = self.avg.ravel()
        out["realized_pnl"] = self.realized.ravel()
        out["fees"] = self.fees.ravel()
        out["n_fills"] = self.n_fills.ravel()
        m = np.tile(marks, n_books)
        out["mark"] = m
        out["unrealized_pnl"] = np.where(out["qty"] != 0, out["qty"] * (m - out["avg_price"]), 0.0)
        return out


@dataclass(frozen=True, slots=True)
class DeskOutcome:
    """What the middle office produced for one session.

    Attributes
    ----------
    orders : ORDER_DT records with final status
    fills : FILL_DT records, in time order
    events : ORDER_EVENT_DT records, in time order (``event_id`` local to the session)
    pnl : PNL_DT snapshots (one row per book per snapshot time), base currency
    positions : POSITION_DT records per book x instrument, marked at the session's close
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


def run_desk(orders: np.ndarray, executions: np.ndarray, market: MarketData, limits: PreTradeConfig,
             state: DeskState, *, close_ts: int, pnl_interval_s: float) -> DeskOutcome:
    """Run the middle office over one session.

    Parameters
    ----------
    orders : ndarray of ORDER_DT
        The session's client orders sorted by ``ts`` (``order_id`` ascending too); not
        modified (a copy with final statuses is returned). An order with ``ts_cancel``
        >= 0 is cancelled then if still working (IOC/FOK: ``ts_cancel`` = ``ts``).
    executions : ndarray of EXECUTION_DT
        The venue's executions of those orders, as if every order were sent.
    market : MarketData
        The session's quotes (marks and FX for snapshots).
    limits : PreTradeConfig
    state : DeskState
        Positions carried in; updated in place to the state at the close.
    close_ts : int
        Session close (ns); working day orders expire then.
    pnl_interval_s : float
        Spacing of P&L snapshots.
    """
    orders = orders.copy()
    n = orders.shape[0]
    n_books, n_inst = state.shape
    if n and np.any(np.diff(orders["ts"]) < 0):
        raise ValueError("orders must be sorted by 'ts'")
    if n and np.any(np.diff(orders["order_id"]) <= 0):
        raise ValueError("orders must have increasing 'order_id'")
    for name, hi in (("book", n_books), ("instrument", n_inst)):
        if n and (orders[name].min() < 0 or orders[name].max() >= hi):
            raise ValueError(f"order {name!r} out of range [0, {hi}): got {orders[name].min()}..{orders[name].max()}")
    exec_row = np.searchsorted(orders["order_id"], executions["order_id"]).astype(np.int64)
    if executions.size and (exec_row.max() >= n or np.any(orders["order_id"][exec_row] != executions["order_id"])):
        raise ValueError("an execution refers to an 'order_id' that is not in orders")
    inst_ccy = market.instruments["currency_id"].to_numpy(np.int64)
    order_fx = market.fx[inst_ccy[orders["instrument"]], market.step_of(orders["ts"])]

    symbols = list(market.instruments["symbol"])
    max_position = np.full(n_inst, limits.max_position_qty, dtype=np.int64)
    for sym, q in limits.max_position_qty_by_symbol.items():
        max_position[symbols.index(sym)] = q

    snap_ts = _snapshot_times(market, close_ts, pnl_interval_s)
    snap_step = market.step_of(snap_ts).astype(np.int64)
    n_x = executions.shape[0]
    cancels = np.flatnonzero(orders["ts_cancel"] >= 0)
    if cancels.size and np.any(orders["ts_cancel"][cancels] < orders["ts"][cancels]):
        raise ValueError("an order's 'ts_cancel' is before its 'ts'")
    ev_ts = np.concatenate([orders["ts"], executions["ts"], orders["ts_cancel"][cancels], snap_ts])
    ev_kind = np.concatenate([np.full(n, _kernels.EV_ARRIVAL), np.full(n_x, _kernels.EV_FILL),
                              np.full(cancels.size, _kernels.EV_CANCEL),
                              np.full(snap_ts.size, _kernels.EV_SNAPSHOT)]).astype(np.int64)
    ev_ref = np.concatenate([np.arange(n), np.arange(n_x), cancels, np.arange(snap_ts.size)]).astype(np.int64)
    order_ = np.lexsort((ev_ref, ev_kind, ev_ts))

    working_buy = np.zeros((n_books, n_inst), np.int64)
    working_sell = np.zeros((n_books, n_inst), np.int64)
    fills = np.zeros(n_x, dtype=FILL_DT)
    events = np.zeros(2 * n + n_x, dtype=ORDER_EVENT_DT)
    pnl = np.zeros(snap_ts.size * n_books, dtype=PNL_DT)
    nf, ne = _kernels.desk_loop_nb(
        ev_kind[order_], ev_ref[order_], orders, executions, exec_row, order_fx, inst_ccy,
        float(limits.price_collar_bps), int(limits.max_order_qty), float(limits.max_order_notional), max_position,
        snap_ts, snap_step, market.mid, market.fx, np.int64(close_ts), state.pos, state.avg, state.realized,
        state.fees, state.n_fills, working_buy, working_sell, np.int64(state.n_fills_total), fills, events, pnl,
    )
    state.n_fills_total += nf
    events = events[:ne]
    events = events[np.argsort(events["ts"], kind="stable")]
    events["event_id"] = np.arange(ne)
    trade_date = int(market.trade_date.astype("datetime64[D]").astype(np.int64))
    positions = state.positions(market.mid[:, -1], trade_date)
    return DeskOutcome(orders=orders, fills=fills[:nf], events=events, pnl=pnl, positions=positions)
