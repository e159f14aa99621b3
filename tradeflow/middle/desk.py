"""The desk's real-time loop: pre-trade checks, fills and P&L, in time order."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tradeflow.config import LimitsConfig, PreTradeConfig, RiskConfig
from tradeflow.core.merge import merge_runs
from tradeflow.core.records import take_head, take_records
from tradeflow.market.paths import MarketData
from tradeflow.middle import nb as _kernels
from tradeflow.middle._risk_kernels import tail_size_nb, tail_width_nb
from tradeflow.middle.instruments import InstrumentRisk, instrument_risk
from tradeflow.schema import BREACH_DT, FILL_DT, ORDER_EVENT_DT, PNL_DT, POSITION_DT, RISK_DT, TradingState

__all__ = ["DeskState", "DeskOutcome", "DeskRun", "RiskSetup", "run_desk", "prepare_desk_run", "limit_params",
           "breach_action_code"]


@dataclass(slots=True)
class DeskState:
    """Per book x instrument state the loop carries from one session to the next.

    Arrays of shape (n_books, n_instruments): position (shares), average cost,
    cumulative realized P&L, cumulative fees (instrument currency) and fill counts.
    Also the FIFO lot pool (used when P&L is FIFO), each book's trading state, the limits'
    current levels and the running peak of total P&L per book and desk (for drawdowns).
    """

    pos: np.ndarray
    avg: np.ndarray
    realized: np.ndarray
    fees: np.ndarray
    n_fills: np.ndarray
    n_fills_total: int = field(default=0)
    n_breaches_total: int = field(default=0)
    book_state: np.ndarray | None = None
    kill_switch: bool = False
    limit_state: np.ndarray | None = None
    peak: np.ndarray | None = None
    lot_qty: np.ndarray | None = None
    lot_px: np.ndarray | None = None
    lot_next: np.ndarray | None = None
    lot_head: np.ndarray | None = None
    lot_tail: np.ndarray | None = None
    lot_top: np.ndarray | None = None

    def __post_init__(self) -> None:
        n_books, n_inst = self.pos.shape
        if self.book_state is None:
            self.book_state = np.zeros(n_books, np.int8)
        if self.limit_state is None:
            self.limit_state = np.zeros((n_books + 1, _kernels.N_LIMIT_KINDS), np.int8)
        if self.peak is None:
            self.peak = np.zeros(n_books + 1)
        if self.lot_qty is None:
            self.lot_qty = np.zeros(0, np.int64)
            self.lot_px = np.zeros(0)
            self.lot_next = np.zeros(0, np.int64)
            self.lot_head = np.full((n_books, n_inst), -1, np.int64)
            self.lot_tail = np.full((n_books, n_inst), -1, np.int64)
            self.lot_top = np.zeros(1, np.int64)

    @classmethod
    def flat(cls, n_books: int, n_instruments: int) -> DeskState:
        """A desk with no positions."""
        shape = (n_books, n_instruments)
        return cls(pos=np.zeros(shape, np.int64), avg=np.zeros(shape), realized=np.zeros(shape),
                   fees=np.zeros(shape), n_fills=np.zeros(shape, np.int64))

    def reserve_lots(self, n_more: int) -> None:
        """Grow the FIFO lot pool so ``n_more`` fills fit (a fill opens at most one lot)."""
        need = int(self.lot_top[0]) + int(n_more) + 1
        if self.lot_qty.shape[0] >= need:
            return
        cap = max(need, 2 * self.lot_qty.shape[0])
        for name, fill in (("lot_qty", 0), ("lot_px", 0.0), ("lot_next", -1)):
            old = getattr(self, name)
            new = np.full(cap, fill, dtype=old.dtype)
            new[:old.shape[0]] = old
            setattr(self, name, new)

    def bundle(self, working_buy: np.ndarray, working_sell: np.ndarray, fifo: bool) -> _kernels.Positions:
        """The kernels' view of this state (:class:`tradeflow.middle.nb.Positions`, no copies) with the
        given working quantities; call again after :meth:`reserve_lots` (the lot pool may move)."""
        return _kernels.Positions(pos=self.pos, avg=self.avg, realized=self.realized, fees=self.fees,
                                  n_fills=self.n_fills, working_buy=working_buy, working_sell=working_sell,
                                  fifo=bool(fifo), lot_qty=self.lot_qty, lot_px=self.lot_px, lot_next=self.lot_next,
                                  lot_head=self.lot_head, lot_tail=self.lot_tail, lot_top=self.lot_top)

    @property
    def shape(self) -> tuple[int, int]:
        return self.pos.shape

    def positions(self, marks: np.ndarray, trade_date: int, multiplier: np.ndarray | None = None) -> np.ndarray:
        """POSITION_DT records for every book x instrument, marked at ``marks``.

        P&L fields are money (qty x price change x ``multiplier``, default 1); prices as quoted.
        """
        n_books, n_inst = self.shape
        out = np.zeros(n_books * n_inst, dtype=POSITION_DT)
        out["trade_date"] = trade_date
        out["book"] = np.repeat(np.arange(n_books), n_inst)
        out["instrument"] = np.tile(np.arange(n_inst), n_books)
        out["qty"] = self.pos.ravel()
        out["avg_price"] = self.avg.ravel()
        mult = np.ones(n_inst) if multiplier is None else np.asarray(multiplier, np.float64)
        mm = np.tile(mult, n_books)
        out["realized_pnl"] = self.realized.ravel() * mm
        out["fees"] = self.fees.ravel()
        out["n_fills"] = self.n_fills.ravel()
        m = np.tile(marks, n_books)
        out["mark"] = m
        out["unrealized_pnl"] = np.where(out["qty"] != 0, out["qty"] * (m - out["avg_price"]) * mm, 0.0)
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
    risk : RISK_DT rows per book and desk at each snapshot (empty without a RiskSetup)
    breaches : BREACH_DT limit events in time order (empty without a RiskSetup)
    """

    orders: np.ndarray
    fills: np.ndarray
    events: np.ndarray
    pnl: np.ndarray
    positions: np.ndarray
    risk: np.ndarray = field(default_factory=lambda: np.zeros(0, RISK_DT))
    breaches: np.ndarray = field(default_factory=lambda: np.zeros(0, BREACH_DT))


@dataclass(frozen=True, slots=True)
class RiskSetup:
    """What the loop needs for incremental VaR and limits: scenarios, instruments and configs.

    Attributes
    ----------
    returns : float64 ndarray of shape (n_instruments, n_scenarios)
        One-day simple scenario returns (see :mod:`tradeflow.market.scenarios`), one row per
        instrument, or one per non-option instrument when the options follow them in the table.
    instruments : InstrumentRisk
    risk : RiskConfig
    limits : LimitsConfig
    fx_returns : float64 ndarray of shape (n_currencies, n_scenarios), optional
        One-day simple returns of the base-currency value of each of the market's currencies
        (row 0, the base, zeros; see :func:`tradeflow.market.scenarios.simulate_fx_scenarios`).
        A foreign position then loses or gains ``qty * multiplier * S * fx * ((1 + r)(1 + f) - 1)``
        in a scenario (options: revalued in their currency, then converted). ``None`` holds FX
        at its current rate in every scenario (FX risk then shows only in stress tests).
    """

    returns: np.ndarray
    instruments: InstrumentRisk
    risk: RiskConfig
    limits: LimitsConfig
    fx_returns: np.ndarray | None = None

    @classmethod
    def from_market(cls, market: MarketData, returns: np.ndarray, risk: RiskConfig,
                    limits: LimitsConfig, *, fx_returns: np.ndarray | None = None) -> RiskSetup:
        """Validate scenario returns (and FX scenario returns) against the market's instruments and currencies."""
        inst = instrument_risk(market.instruments, risk_free_rate=risk.risk_free_rate,
                               dividend_yield=risk.dividend_yield)
        returns = np.ascontiguousarray(returns, dtype=np.float64)
        n_linear = int(np.sum(inst.underlying == np.arange(inst.n)))
        if returns.ndim == 2 and returns.shape[0] == n_linear < inst.n and np.all(inst.underlying < n_linear):
            # scenarios of the underlyings only (options follow them in the table): an option's row
            # is its underlying's, which full revaluation reads
            returns = np.ascontiguousarray(returns[inst.underlying])
        if returns.ndim != 2 or returns.shape[0] != inst.n or returns.shape[1] < 1:
            raise ValueError(f"scenario returns must have shape (n_instruments={inst.n}, n_scenarios). "
                             f"Got {returns.shape} instead.")
        if not np.all(np.isfinite(returns)) or np.any(returns <= -1.0):
            raise ValueError("scenario returns must be finite and > -1")
        if fx_returns is not None:
            fx_returns = np.ascontiguousarray(fx_returns, dtype=np.float64)
            shape = (len(market.currencies), returns.shape[1])
            if fx_returns.shape != shape:
                raise ValueError(f"FX scenario returns must have shape (n_currencies, n_scenarios) = {shape}. "
                                 f"Got {fx_returns.shape} instead.")
            if not np.all(np.isfinite(fx_returns)) or np.any(fx_returns <= -1.0):
                raise ValueError("FX scenario returns must be finite and > -1")
            if np.any(fx_returns[0] != 0.0):
                raise ValueError(f"FX scenario returns of the base currency {market.currencies[0]!r} (row 0) "
                                 "must be zero")
        return cls(returns=returns, instruments=inst, risk=risk, limits=limits, fx_returns=fx_returns)


def limit_params(limits: LimitsConfig) -> np.ndarray:
    """The limits packed in the order of the kernels' ``P_*`` constants."""
    return np.array([limits.book_var, limits.desk_var, limits.book_gross_exposure, limits.desk_gross_exposure,
                     limits.book_drawdown, limits.desk_drawdown, limits.book_concentration,
                     limits.concentration_min_gross, limits.warning_fraction,
                     1.0 if limits.concentration_basis == "gross_limit" else 0.0], dtype=np.float64)


def breach_action_code(limits: LimitsConfig) -> int:
    """The TradingState a breach switches a book to (0: none)."""
    return {"none": 0, "reducing_only": int(TradingState.REDUCING_ONLY),
            "halt": int(TradingState.HALTED)}[limits.breach_action]


def _snapshot_times(market: MarketData, close_ts: int, interval_s: float) -> np.ndarray:
    step = int(round(interval_s * 1e9))
    ts = np.arange(market.times[0] + step, close_ts, step, dtype=np.int64)
    return np.append(ts, np.int64(close_ts))


def run_desk(orders: np.ndarray, executions: np.ndarray, market: MarketData, limits: PreTradeConfig,
             state: DeskState, *, close_ts: int, pnl_interval_s: float, risk: RiskSetup | None = None,
             fifo: bool = False, session_start: bool = True, copy: bool = True) -> DeskOutcome:
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
        Spacing of P&L (and risk) snapshots.
    risk : RiskSetup, optional
        Scenarios and limits: with it the loop keeps each book's scenario P&L vector and VaR/ES
        current after every fill (VaR limits checked then), marks the books to market at every
        step of the quote grid (gross exposure, drawdown and concentration limits checked then,
        so a breach between snapshots carries its own timestamp), and writes risk rows and
        checks every limit at each snapshot. Every book's trading state is reset to ACTIVE and
        every limit to CLEARED at the start of the session (the risk manager's morning review:
        a limit still breached fires again at its first check); the kill switch carries over,
        and the drawdown peaks too with ``LimitsConfig.drawdown_window="run"`` (with ``"day"``
        they restart at the open).
    fifo : bool, default=False
        Realized P&L by FIFO lots instead of average cost (total P&L is the same).
    session_start : bool, default=True
        Whether this call opens a session (the morning review above). Pass False when a
        session is run in several calls, each continuing from the previous call's state.
    copy : bool, default=True
        False: ``orders`` (C-contiguous, writeable) is taken over: the statuses are written
        into it and it is the outcome's ``orders``. Saves a copy of the orders when the caller
        has no further use for them (:func:`tradeflow.simulate`: 13 MB on a default day).

    Returns
    -------
    DeskOutcome
    """
    run = prepare_desk_run(orders, market, limits, state, close_ts=close_ts, pnl_interval_s=pnl_interval_s,
                           risk=risk, fifo=fifo, n_exec=executions.shape[0], session_start=session_start, copy=copy)
    exec_row = _exec_rows(run.orders, executions)
    fills = (executions["ts"], _kernels.EV_FILL, np.arange(executions.shape[0]))
    _, ev_kind, ev_ref = merge_runs(run.event_runs() + [fills])
    status = _kernels.desk_loop_nb(ev_kind, ev_ref, run.orders, executions, exec_row, run.desk, True, True)
    return run.outcome(state, market, status)


def _exec_rows(orders: np.ndarray, executions: np.ndarray) -> np.ndarray:
    """Row of each execution's order in ``orders`` (``order_id`` strictly increasing, as :func:`prepare_desk_run`
    checks), validated."""
    n = orders.shape[0]
    oid = orders["order_id"]
    if n and oid[-1] - oid[0] == n - 1:
        # increasing ids spanning n: consecutive (every session's orders), so the row is an offset, not a
        # binary search of the executions' ids in time order (10 ms of a quote day)
        exec_row = executions["order_id"].astype(np.int64) - oid[0]
        bad = executions.size and (exec_row.min() < 0 or exec_row.max() >= n)
    else:
        exec_row = np.searchsorted(oid, executions["order_id"]).astype(np.int64)
        bad = executions.size and (exec_row.max() >= n or np.any(oid[exec_row] != executions["order_id"]))
    if bad:
        raise ValueError("an execution refers to an 'order_id' that is not in orders")
    return exec_row


@dataclass(slots=True)
class DeskRun:
    """One session's desk loop, ready to run: the orders' working copy, the loop's state bundles
    (:class:`tradeflow.middle.nb.Desk`) and its outputs. :meth:`outcome` ends it: it gives the record
    buffers (``fills``, ``events``, ``breaches``) to the outcome and lets the bundles go (None after)."""

    orders: np.ndarray
    snap_ts: np.ndarray
    desk: _kernels.Desk
    fills: np.ndarray
    events: np.ndarray
    pnl: np.ndarray
    risk_rows: np.ndarray
    breaches: np.ndarray
    multiplier: np.ndarray

    def event_runs(self) -> list[tuple[np.ndarray, int, np.ndarray]]:
        """The arrivals, cancels and snapshots as ``(ts, kind, ref)`` runs for
        :func:`tradeflow.core.merge.merge_runs`."""
        orders = self.orders
        cancels = np.flatnonzero(orders["ts_cancel"] >= 0)
        return [(orders["ts"], _kernels.EV_ARRIVAL, np.arange(orders.shape[0])),
                (orders["ts_cancel"][cancels], _kernels.EV_CANCEL, cancels),
                (self.snap_ts, _kernels.EV_SNAPSHOT, np.arange(self.snap_ts.size))]

    def outcome(self, state: DeskState, market: MarketData, status: int) -> DeskOutcome:
        """Carry the counts into ``state`` and package what the loop wrote (once: the run gives up its
        record buffers to the outcome)."""
        nf, ne, nbr = (int(c) for c in self.desk.records.counts)
        if status != 0:  # pragma: no cover - reserve_lots sizes the pool for every fill
            raise RuntimeError("FIFO lot pool exhausted")
        if nbr > self.breaches.shape[0]:  # pragma: no cover - sized in prepare_desk_run for every check
            raise RuntimeError("breach buffer overflow")
        state.n_fills_total += nf
        state.n_breaches_total += nbr
        # the loop's bundles hold the record buffers too: let them go, so that the buffers can shrink in place
        # (a copy of a buffer's head wrote every row again into fresh pages: about 10 ms of a book day, whose
        # event buffer is 2.5 times its events)
        self.desk = None
        events = take_head(self, "events", ne)
        if ne > 1 and (np.diff(events["ts"]) < 0).any():
            events = take_records(events, np.argsort(events["ts"], kind="stable"))
            events["event_id"] = np.arange(ne)  # in time order the loop wrote each row's own index
        trade_date = int(market.trade_date.astype("datetime64[D]").astype(np.int64))
        positions = state.positions(market.mid[:, -1], trade_date, self.multiplier)
        # the fill buffer has room for every execution the venue could send (4 a client order): the outcome
        # keeps the fills only (a default day: 7 of its 26 MB)
        fills = take_head(self, "fills", nf)
        return DeskOutcome(orders=self.orders, fills=fills, events=events, pnl=self.pnl, positions=positions,
                           risk=self.risk_rows, breaches=take_head(self, "breaches", nbr))


def prepare_desk_run(orders: np.ndarray, market: MarketData, limits: PreTradeConfig, state: DeskState, *,
                     close_ts: int, pnl_interval_s: float, risk: RiskSetup | None, fifo: bool, n_exec: int,
                     session_start: bool = True, copy: bool = True) -> DeskRun:
    """Validate the session's orders and lay out the desk loop's state for ``n_exec`` executions.

    The input preparation that :func:`run_desk` and the desk sessions (:func:`tradeflow.session.run_session`,
    :func:`tradeflow.replay_session.run_replay_session`) share: each then runs its own compiled loop over
    the returned state and ends it with :meth:`DeskRun.outcome`.

    Parameters
    ----------
    orders : ndarray of ORDER_DT
        The session's orders, sorted by ``ts`` with increasing ``order_id`` (C-contiguous and
        writeable with ``copy=False``).
    market : MarketData
    limits : PreTradeConfig
    state : DeskState
        The desk's state carried from the previous session (positions, P&L, credit, limits).
    close_ts : int
        The session's close, ns.
    pnl_interval_s : float
        Seconds between the P&L and risk snapshots.
    risk : RiskSetup or None
        Scenario VaR/ES and risk limits; None: none.
    fifo : bool
        Realized P&L by FIFO lots (else average cost).
    n_exec : int
        Room for this many executions (the fills buffer; a session that outgrows it runs again).
    session_start : bool, default=True
        Whether this call opens a session (:func:`run_desk`'s morning review); False for a session
        run in several calls, each continuing from the previous call's state.
    copy : bool, default=True
        Work on a copy of ``orders`` (False: on ``orders`` itself).

    Returns
    -------
    DeskRun

    Raises
    ------
    ValueError
        Orders out of time order, ``order_id`` not increasing, a book or instrument out of range.
    """
    if copy:
        orders = orders.copy()
    elif not (orders.flags.c_contiguous and orders.flags.writeable):
        raise ValueError("run_desk(copy=False) needs C-contiguous, writeable orders")
    n = orders.shape[0]
    n_books, n_inst = state.shape
    if n and np.any(np.diff(orders["ts"]) < 0):
        raise ValueError("orders must be sorted by 'ts'")
    if n and np.any(np.diff(orders["order_id"]) <= 0):
        raise ValueError("orders must have increasing 'order_id'")
    for name, hi in (("book", n_books), ("instrument", n_inst)):
        if n and (orders[name].min() < 0 or orders[name].max() >= hi):
            raise ValueError(f"order {name!r} out of range [0, {hi}): got {orders[name].min()}..{orders[name].max()}")
    inst_ccy = market.instruments["currency_id"].to_numpy(np.int64)
    # money per unit of price x quantity: FX x contract multiplier (pre-trade notional and client credit)
    mult = market.instruments["multiplier"].to_numpy(np.float64)
    order_fx = market.fx[inst_ccy[orders["instrument"]], market.step_of(orders["ts"])] * mult[orders["instrument"]]

    symbols = list(market.instruments["symbol"])
    max_position = np.full(n_inst, limits.max_position_qty, dtype=np.int64)
    for sym, q in limits.max_position_qty_by_symbol.items():
        max_position[symbols.index(sym)] = q

    snap_ts = _snapshot_times(market, close_ts, pnl_interval_s)
    snap_step = market.step_of(snap_ts).astype(np.int64)
    n_x = int(n_exec)
    cancels = np.flatnonzero(orders["ts_cancel"] >= 0)
    if cancels.size and np.any(orders["ts_cancel"][cancels] < orders["ts"][cancels]):
        raise ValueError("an order's 'ts_cancel' is before its 'ts'")

    working_buy = np.zeros((n_books, n_inst), np.int64)
    working_sell = np.zeros((n_books, n_inst), np.int64)
    fills = np.zeros(n_x, dtype=FILL_DT)
    events = np.zeros(2 * n + n_x, dtype=ORDER_EVENT_DT)
    pnl = np.zeros(snap_ts.size * n_books, dtype=PNL_DT)

    # session state of the pre-trade controls: credit per client, throttle rings, duplicate memo
    n_clients = int(orders["client"].max()) + 1 if n else 1
    n_traders = int(orders["trader"].max()) + 1 if n else 1
    if n and (orders["client"].min() < 0 or orders["trader"].min() < 0):
        raise ValueError("order 'client' and 'trader' must be non-negative ids")
    credit_used = np.zeros(n_clients)
    thr_ring = np.full((n_traders, int(limits.max_orders_per_second)), -1, np.int64)
    thr_head = np.zeros(n_traders, np.int64)
    dup_ts = np.full((n_clients, n_inst, 2), -1, np.int64)
    dup_qty = np.zeros((n_clients, n_inst, 2), np.int64)
    dup_px = np.zeros((n_clients, n_inst, 2))
    kill = np.array([1 if state.kill_switch else 0], np.int8)
    if fifo:
        state.reserve_lots(n_x)

    if risk is not None:
        ri = risk.instruments
        if ri.n != n_inst:
            raise ValueError(f"RiskSetup has {ri.n} instruments, the desk {n_inst}")
        returns = risk.returns
        n_scen = returns.shape[1]
        fx_returns = risk.fx_returns if risk.fx_returns is not None else np.zeros((market.fx.shape[0], n_scen))
        rc = risk.risk
        var_buf = np.zeros(max(tail_size_nb(n_scen, rc.var_level), tail_size_nb(n_scen, rc.es_level)) + 2)
        lim = limit_params(risk.limits)
        action = breach_action_code(risk.limits)
        sqrt_h = float(np.sqrt(rc.horizon_days))
        # the morning review: books start ACTIVE and every limit is re-evaluated from CLEARED, so a
        # limit still breached at the first check fires (and acts) again
        if session_start:
            state.book_state[:] = TradingState.ACTIVE
            state.limit_state[:] = 0
            if risk.limits.drawdown_window == "day":  # a daily stop-loss: the peak restarts at the open
                state.peak[:] = -np.inf
        risk_rows = np.zeros(snap_ts.size * (n_books + 1), dtype=RISK_DT)
        # room for every check that can write an event: two VaR checks per fill, the mark limits at
        # every price update (3 per book + 2 for the desk), every limit at every snapshot (calloc'd:
        # untouched pages cost nothing)
        n_checks = 2 * n_x + market.n_steps * (3 * n_books + 2) + snap_ts.size * (4 * n_books + 3)
        breaches = np.zeros(n_checks, dtype=BREACH_DT)
        risk_on = True
    else:
        ri = instrument_risk(market.instruments)
        returns = np.zeros((n_inst, 1))
        fx_returns = np.zeros((market.fx.shape[0], 1))
        var_buf = np.zeros(2)
        lim = np.zeros(9)
        action = 0
        sqrt_h = 1.0
        risk_rows = np.zeros(0, dtype=RISK_DT)
        breaches = np.zeros(0, dtype=BREACH_DT)
        risk_on = False
    unit_pnl = np.zeros(returns.shape)
    fx_reb = np.zeros(n_inst)
    spnl = np.zeros((n_books, returns.shape[1]))
    desk_spnl = np.zeros(returns.shape[1])
    rc_levels = (risk.risk.var_level, risk.risk.es_level) if risk is not None else (0.99, 0.975)
    m = int(tail_width_nb(returns.shape[1], float(rc_levels[0]), float(rc_levels[1])))
    tail_idx = np.tile(np.arange(m, dtype=np.int64), (n_books + 1, 1))  # VaR/ES tails of the books and the desk
    tail_loss = np.zeros((n_books + 1, m))
    shape = (n_books, n_inst)  # the marked state at every price update, carried from piece to piece
    mv, val = np.zeros(shape), np.zeros(shape)
    tp, gross, mx, mx_i = np.zeros(n_books), np.zeros(n_books), np.zeros(n_books), np.full(n_books, -1, np.int64)
    mark_state = np.zeros(2, np.int64)
    desk = _kernels.Desk(
        risk_on=risk_on,
        controls=_kernels.Controls(
            collar_bps=float(limits.price_collar_bps), max_order_qty=int(limits.max_order_qty),
            max_order_notional=float(limits.max_order_notional), max_position=max_position,
            max_gross=int(limits.max_gross_position_qty), credit_limit=float(limits.client_credit_limit),
            dup_window_ns=int(round(limits.duplicate_window_s * 1e9)), book_state=state.book_state, kill=kill,
            credit_used=credit_used, thr_ring=thr_ring, thr_head=thr_head, dup_ts=dup_ts, dup_qty=dup_qty,
            dup_px=dup_px),
        positions=state.bundle(working_buy, working_sell, fifo),
        tails=_kernels.Tails(unit_pnl=unit_pnl, weight=fx_reb, spnl=spnl, desk_spnl=desk_spnl, tail_idx=tail_idx,
                             tail_loss=tail_loss, var_level=float(rc_levels[0]), es_level=float(rc_levels[1])),
        limits=_kernels.Limits(lim=lim, action=int(action), limit_state=state.limit_state, peak=state.peak,
                               breaches=breaches, first_breach_id=int(state.n_breaches_total)),
        revalue=_kernels.Revalue(returns=returns, fx_returns=fx_returns, asset_class=ri.asset_class,
                                 underlying=ri.underlying, multiplier=ri.multiplier, strike=ri.strike,
                                 expiry_ns=ri.expiry_ns, opt_vol=ri.vol, rate=ri.rate, div_yield=ri.div_yield,
                                 call_put=ri.call_put, var_buf=var_buf, work=np.empty((2, ri.n)),
                                 sqrt_h=float(sqrt_h)),
        marks=_kernels.Marks(times=market.times, mid=market.mid, fx=market.fx, inst_ccy=inst_ccy,
                             multiplier=ri.multiplier, mv=mv, val=val, tp=tp, gross=gross, mx=mx, mx_i=mx_i,
                             state=mark_state),
        records=_kernels.DeskRecords(fills=fills, events=events, pnl=pnl, risk=risk_rows,
                                     first_fill_id=int(state.n_fills_total), snap_ts=snap_ts, snap_step=snap_step,
                                     close_ts=int(close_ts), order_fx=order_fx, counts=np.zeros(3, np.int64)),
    )
    return DeskRun(orders=orders, snap_ts=snap_ts, desk=desk, fills=fills, events=events, pnl=pnl,
                   risk_rows=risk_rows, breaches=breaches, multiplier=ri.multiplier)
