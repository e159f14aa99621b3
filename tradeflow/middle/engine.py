"""``RiskEngine``: the middle office as a streaming API for trades from anywhere.

Feed it micro-batches of any size — orders to check, fills, price updates — and ask for
positions, P&L, VaR/ES, Greeks, stress and limits at any time. It runs the same numba
kernels as :func:`tradeflow.simulate`'s desk loop. Bad records (unknown instrument or book,
NaN or non-positive price, zero or negative quantity, timestamps going backwards) are
returned with a reason code, never dropped and never an exception.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tradeflow.config import LimitsConfig, PreTradeConfig, RiskConfig
from tradeflow.market.scenarios import fx_scenarios_from_frame, scenarios_from_frame
from tradeflow.middle import _engine_kernels as ek
from tradeflow.middle import nb as _kernels
from tradeflow.middle._engine_inputs import _INT64_SAFE, _REASON_NAMES, _REASON_POS, _Batch, kernel_batch
from tradeflow.middle._engine_views import RiskViews
from tradeflow.middle._risk_kernels import (
    book_scenario_pnl_nb,
    init_tails_nb,
    tail_size_nb,
    tail_width_nb,
    unit_scenario_pnl_nb,
)
from tradeflow.middle.desk import DeskState, breach_action_code, limit_params
from tradeflow.middle.instruments import instrument_risk
from tradeflow.schema import BREACH_DT, PNL_DT, RISK_DT, RejectReason, TradingState, records_to_frame

_REASON_DTYPE = pd.CategoricalDtype(_REASON_NAMES)  # a verdict's reason: one dtype for every batch

__all__ = ["RiskEngine"]

# the engine's table of tracked orders (one row per order id it has checked)
ENGINE_ORDER_DT = np.dtype([("book", "i8"), ("instrument", "i8"), ("side", "i8"), ("qty", "i8"),
                            ("filled_qty", "i8"), ("price", "f8"), ("fx", "f8"), ("client", "i8"), ("status", "i1")])



class RiskEngine(RiskViews):
    """A streaming middle office over a fixed instrument table and a fixed set of books.

    Parameters
    ----------
    instruments : DataFrame
        The instrument table (``symbol``, ``currency`` or ``currency_id``, ``multiplier``,
        ``volatility``; option columns as in :mod:`tradeflow.middle.instruments`).
    marks : array-like of shape (n_instruments,)
        Opening marks (instrument currency).
    scenarios : DataFrame or ndarray
        One-day scenario returns: a DataFrame with one column per (non-option) symbol and
        one row per scenario, or an array of shape (n_instruments, n_scenarios).
    fx_scenarios : DataFrame or ndarray, optional
        One-day returns of the base-currency value of each non-base currency in the same
        scenarios: a DataFrame with a column ``CCY`` or ``CCYBASE`` (``BASECCY`` is inverted)
        per currency, one row per scenario (see
        :func:`tradeflow.market.scenarios.fx_scenarios_from_frame`), or an array of shape
        (n_currencies, n_scenarios) in :attr:`currencies` order with a zero base row. A foreign
        position then carries FX risk in VaR/ES: ``qty * multiplier * S * fx * ((1 + r)(1 + f) - 1)``.
        Without it every FX rate is held at its current value in the scenarios (FX risk then
        shows only in :meth:`stress`).
    n_books : int, default=1
    n_clients, n_traders : int, default=1
        Ids for the pre-trade controls (credit per client, throttle per trader).
    fx : dict of str to float, optional
        Base-currency value of one unit of each currency (base currency 1.0).
    pretrade, risk, limits : configs, optional
        Defaults as in :class:`~tradeflow.SimulationConfig`.

    Notes
    -----
    Orders checked with an ``order_id`` are tracked as in the desk loop of
    :func:`tradeflow.simulate`: an accepted order works (its quantity counts in the net and
    gross position limits of its book and instrument) until fills naming it
    (:meth:`on_fills` with ``order_id``), a cancel (:meth:`on_cancels`, which also releases the
    credit of the unfilled part) or expiry (:meth:`expire_orders`, :meth:`new_session`) release
    it. Orders without an id, and fills without one (external fills), only move the filled
    position. Credit usage and the throttle count accepted orders until :meth:`new_session`.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> inst = pd.DataFrame({"symbol": ["AAA", "BBB"], "currency": ["USD", "USD"]})
    >>> rets = pd.DataFrame(np.random.default_rng(0).normal(0, 0.02, (500, 2)), columns=["AAA", "BBB"])
    >>> eng = RiskEngine(inst, marks=[100.0, 50.0], scenarios=rets, n_books=2)
    >>> out = eng.on_fills(pd.DataFrame({"ts": [1, 2], "book": [0, 1], "instrument": ["AAA", "BBB"],
    ...                                  "side": ["BUY", "SELL"], "qty": [100, 200], "price": [100.0, 50.0]}))
    >>> out["accepted"].tolist()
    [True, True]
    >>> list(eng.var().columns)
    ['var_1d', 'es_1d', 'var_10d', 'es_10d']
    """

    def __init__(self, instruments: pd.DataFrame, *, marks, scenarios, n_books: int = 1, n_clients: int = 1,
                 n_traders: int = 1, fx: dict[str, float] | None = None, pretrade: PreTradeConfig | None = None,
                 risk: RiskConfig | None = None, limits: LimitsConfig | None = None, base_currency: str = "USD",
                 fx_scenarios: pd.DataFrame | np.ndarray | None = None) -> None:
        for name, v in (("n_books", n_books), ("n_clients", n_clients), ("n_traders", n_traders)):
            if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 1:
                raise ValueError(f"The {name!r} parameter of RiskEngine must be a positive int. Got {v!r} instead.")
        self.pretrade = pretrade or PreTradeConfig()
        self.risk_config = risk or RiskConfig()
        self.limits = limits or LimitsConfig()
        table = instruments.reset_index(drop=True).copy()
        if "symbol" not in table:
            raise ValueError("the instrument table needs a 'symbol' column")
        self.symbols = [str(s) for s in table["symbol"]]
        if len(set(self.symbols)) != len(self.symbols):
            raise ValueError("instrument symbols must be unique")
        if "currency_id" in table and "currency" in table:  # the market's table: ids index its currencies
            ids = table["currency_id"].to_numpy(np.int64)
            ccys = [base_currency] + [""] * int(ids.max(initial=0))
            for cid, c in zip(ids, table["currency"], strict=True):
                ccys[cid] = str(c)
            if ccys[0] != base_currency:
                raise ValueError(f"currency_id 0 must be the base currency {base_currency!r}. Got {ccys[0]!r}.")
        elif "currency_id" in table:
            ccys = [base_currency] + [f"CCY{k}" for k in range(1, int(table["currency_id"].max()) + 1)]
        else:
            col = [str(c) for c in table["currency"]] if "currency" in table else [base_currency] * len(table)
            ccys = [base_currency] + sorted({c for c in col if c != base_currency})
            table["currency_id"] = [ccys.index(c) for c in col]
        self.currencies = tuple(ccys)
        fx = dict(fx or {})
        self._fx_ccy = np.array([1.0 if c == base_currency else float(fx.get(c, np.nan)) for c in ccys])
        if not np.all(np.isfinite(self._fx_ccy) & (self._fx_ccy > 0)):
            missing = [c for c, v in zip(ccys, self._fx_ccy, strict=True) if not (np.isfinite(v) and v > 0)]
            raise ValueError(f"The 'fx' parameter of RiskEngine needs a positive rate for currencies {missing}")
        self.instruments = table
        rc = self.risk_config
        self._inst = instrument_risk(table, risk_free_rate=rc.risk_free_rate, dividend_yield=rc.dividend_yield)
        n_inst = self._inst.n
        self._marks = np.asarray(marks, dtype=np.float64).copy()
        if self._marks.shape != (n_inst,) or not np.all(np.isfinite(self._marks) & (self._marks > 0)):
            raise ValueError(f"The 'marks' parameter of RiskEngine must be {n_inst} positive finite prices.")
        if isinstance(scenarios, pd.DataFrame):
            opt_syms = tuple(s for s, o in zip(self.symbols, self._inst.is_option, strict=True) if o)
            ret = scenarios_from_frame(scenarios, self.symbols, optional=opt_syms)
        else:
            ret = np.ascontiguousarray(scenarios, dtype=np.float64)
            if ret.ndim != 2 or ret.shape[0] != n_inst or not np.all(np.isfinite(ret)) or np.any(ret <= -1):
                raise ValueError(f"The 'scenarios' parameter of RiskEngine must be finite returns > -1 of shape "
                                 f"({n_inst}, n_scenarios). Got shape {ret.shape}.")
        self._returns = ret
        self._fx_returns = self._fx_scenarios(fx_scenarios, ret.shape[1])
        self._state = DeskState.flat(int(n_books), n_inst)
        self._n_clients, self._n_traders = int(n_clients), int(n_traders)
        symbols = self.symbols
        self._max_position = np.full(n_inst, self.pretrade.max_position_qty, np.int64)
        for sym, q in self.pretrade.max_position_qty_by_symbol.items():
            if sym in symbols:
                self._max_position[symbols.index(sym)] = q
        self._ts_orders = np.full(1, np.iinfo(np.int64).min, np.int64)
        self._ts_fills = np.full(1, np.iinfo(np.int64).min, np.int64)
        self._ts_prices = np.full(1, np.iinfo(np.int64).min, np.int64)
        self._ts_cancels = np.full(1, np.iinfo(np.int64).min, np.int64)
        self._otab = np.zeros(64, ENGINE_ORDER_DT)
        self._order_ids: list = []
        self._order_row: dict = {}
        self._working_buy = np.zeros((int(n_books), n_inst), np.int64)
        self._working_sell = np.zeros((int(n_books), n_inst), np.int64)
        self._now = 0
        n_scen = ret.shape[1]
        self._var_buf = np.zeros(max(tail_size_nb(n_scen, rc.var_level), tail_size_nb(n_scen, rc.es_level)) + 2)
        self._unit = np.zeros((n_inst, n_scen))
        self._spnl = np.zeros((int(n_books), n_scen))
        # each book's (and, last row, the desk's) VaR/ES tail, carried from fill to fill
        m = int(tail_width_nb(n_scen, rc.var_level, rc.es_level))
        self._tail_idx = np.tile(np.arange(m, dtype=np.int64), (int(n_books) + 1, 1))
        self._tail_loss = np.zeros((int(n_books) + 1, m))
        self._desk = np.zeros(n_scen)
        self._breaches: list[np.ndarray] = []
        self._rejected = np.zeros(len(RejectReason) + 1, np.int64)
        self.new_session()
        self._rebase()

    def _fx_scenarios(self, fx_scenarios, n_scen: int) -> np.ndarray:
        n_ccy = len(self.currencies)
        if fx_scenarios is None:
            return np.zeros((n_ccy, n_scen))  # FX held at its current value
        if isinstance(fx_scenarios, pd.DataFrame):
            return fx_scenarios_from_frame(fx_scenarios, self.currencies, n_scen)
        f = np.ascontiguousarray(fx_scenarios, dtype=np.float64)
        if f.shape != (n_ccy, n_scen) or not np.all(np.isfinite(f)) or np.any(f <= -1) or np.any(f[0] != 0):
            raise ValueError(f"The 'fx_scenarios' parameter of RiskEngine must be finite returns > -1 of shape "
                             f"(n_currencies={n_ccy}, n_scenarios={n_scen}) with a zero row for the base currency "
                             f"{self.currencies[0]!r}. Got shape {f.shape}.")
        return f

    # ------------------------------------------------------------------ state
    @property
    def n_books(self) -> int:
        return self._state.pos.shape[0]

    @property
    def fx_inst(self) -> np.ndarray:
        return self._fx_ccy[self._inst.currency_id]

    @property
    def book_scenario_pnl(self) -> np.ndarray:
        """The scenario P&L vector of every book (a copy), shape (n_books, n_scenarios), base currency."""
        return self._spnl.copy()

    def new_session(self) -> None:
        """Start a session: day orders still working expire (:meth:`expire_orders`), and the
        session counters of the pre-trade controls (credit, throttle, duplicates) reset."""
        if hasattr(self, "_credit"):  # not at construction: nothing works yet
            self.expire_orders()
        n_inst = self._inst.n
        self._credit = np.zeros(self._n_clients)
        self._thr_ring = np.full((self._n_traders, int(self.pretrade.max_orders_per_second)), -1, np.int64)
        self._thr_head = np.zeros(self._n_traders, np.int64)
        self._dup_ts = np.full((self._n_clients, n_inst, 2), -1, np.int64)
        self._dup_qty = np.zeros((self._n_clients, n_inst, 2), np.int64)
        self._dup_px = np.zeros((self._n_clients, n_inst, 2))

    def _rebase(self) -> None:
        inst = self._inst
        unit_scenario_pnl_nb(inst.asset_class, inst.underlying, inst.multiplier, inst.strike,
                             inst.expiry_years(self._now), inst.vol, inst.rate, inst.div_yield, inst.call_put,
                             self._marks, self._returns, inst.currency_id, self._fx_returns, 1.0 / 365.0, 0.0,
                             self._unit)
        book_scenario_pnl_nb(self._state.pos, self.fx_inst, self._unit, self._spnl)
        self._desk[:] = self._spnl.sum(axis=0)
        init_tails_nb(self._spnl, self._desk, self._tail_idx, self._tail_loss)

    def set_fx(self, fx: dict[str, float]) -> None:
        """Update FX rates (base-currency value of one unit of each named currency) and re-mark."""
        for c, v in fx.items():
            if c not in self.currencies or not (np.isfinite(v) and v > 0):
                raise ValueError(f"set_fx: unknown currency or bad rate {c!r}: {v!r}")
            self._fx_ccy[self.currencies.index(c)] = float(v)
        self._rebase()

    def set_trading_state(self, book: int, state: TradingState | str) -> None:
        """Set a book's trading state (ACTIVE, REDUCING_ONLY or HALTED)."""
        st = TradingState[state] if isinstance(state, str) else TradingState(state)
        if not 0 <= book < self.n_books:
            raise ValueError(f"set_trading_state: unknown book {book!r}")
        self._state.book_state[book] = st

    def kill_switch(self, on: bool = True) -> None:
        """Stop (or resume) every new order of every book."""
        self._state.kill_switch = bool(on)

    def expire_orders(self) -> int:
        """Expire every working order (the session closed): its working quantity no longer counts
        in the position limits. Returns how many expired."""
        return int(ek.expire_orders_nb(self._otab, len(self._order_ids), self._controls(), self._positions()))

    def working_orders(self) -> pd.DataFrame:
        """The tracked orders still working: order id, book, instrument, side, qty, filled and leaves qty."""
        n = len(self._order_ids)
        t = self._otab[:n]
        live = np.flatnonzero((t["status"] == 0) | (t["status"] == 1))
        w = t[live]
        return pd.DataFrame({"order_id": [self._order_ids[k] for k in live], "book": w["book"],
                             "instrument": pd.Categorical([self.symbols[i] for i in w["instrument"]],
                                                          categories=self.symbols),
                             "side": w["side"], "qty": w["qty"], "filled_qty": w["filled_qty"],
                             "leaves_qty": w["qty"] - w["filled_qty"]})

    @property
    def working_qty(self) -> tuple[np.ndarray, np.ndarray]:
        """Working buy and sell quantity per book x instrument (copies), shape (n_books, n_instruments)."""
        return self._working_buy.copy(), self._working_sell.copy()

    # ------------------------------------------------------------------ bundles
    def _controls(self) -> _kernels.Controls:
        """The pre-trade controls' bundle over the engine's arrays (no copies)."""
        p = self.pretrade
        st = self._state
        return _kernels.Controls(
            collar_bps=float(p.price_collar_bps), max_order_qty=int(p.max_order_qty),
            max_order_notional=float(p.max_order_notional), max_position=self._max_position,
            max_gross=int(p.max_gross_position_qty), credit_limit=float(p.client_credit_limit),
            dup_window_ns=int(round(p.duplicate_window_s * 1e9)), book_state=st.book_state,
            kill=np.array([1 if st.kill_switch else 0], np.int8), credit_used=self._credit, thr_ring=self._thr_ring,
            thr_head=self._thr_head, dup_ts=self._dup_ts, dup_qty=self._dup_qty, dup_px=self._dup_px)

    def _positions(self) -> _kernels.Positions:
        return self._state.bundle(self._working_buy, self._working_sell, self.risk_config.pnl_method == "fifo")

    def _tails(self) -> _kernels.Tails:
        rc = self.risk_config
        return _kernels.Tails(unit_pnl=self._unit, weight=self.fx_inst, spnl=self._spnl, desk_spnl=self._desk,
                              tail_idx=self._tail_idx, tail_loss=self._tail_loss, var_level=float(rc.var_level),
                              es_level=float(rc.es_level))

    def _limits(self, breaches: np.ndarray) -> _kernels.Limits:
        st = self._state
        return _kernels.Limits(lim=limit_params(self.limits), action=int(breach_action_code(self.limits)),
                               limit_state=st.limit_state, peak=st.peak, breaches=breaches,
                               first_breach_id=int(st.n_breaches_total))

    # ------------------------------------------------------------------ order ids
    def _new_order_rows(self, batch: _Batch, reason: np.ndarray) -> tuple[np.ndarray, list]:
        """Rows in the order table for a batch's order ids (not yet committed); a reused id is a
        DUPLICATE_ORDER. Raises before anything changes if an id cannot be a key."""
        rows = np.full(batch.n, -1, np.int64)
        v = batch.raw("order_id", required=False)
        if v is None:
            return rows, []
        ids = np.asarray(v, dtype=object)
        null = pd.isna(ids)
        new: dict = {}
        n0 = len(self._order_ids)
        for j in np.flatnonzero(~null):
            oid = ids[j]
            try:
                seen = oid in self._order_row or oid in new
            except TypeError:
                raise ValueError(f"The 'order_id' column of {batch.method} holds a value that cannot be an id. "
                                 f"Got {oid!r} (record {int(j)}).") from None
            if seen:
                reason[j] = RejectReason.DUPLICATE_ORDER
                continue
            rows[j] = new[oid] = n0 + len(new)
        return rows, list(new)

    def _commit_order_rows(self, new_ids: list) -> None:
        for oid in new_ids:
            self._order_row[oid] = len(self._order_ids)
            self._order_ids.append(oid)
        n = len(self._order_ids)
        if n > self._otab.shape[0]:
            grown = np.zeros(max(n, 2 * self._otab.shape[0]), ENGINE_ORDER_DT)
            grown[:self._otab.shape[0]] = self._otab
            self._otab = grown

    def _known_order_rows(self, batch: _Batch, required: bool = False) -> np.ndarray:
        """Rows of known order ids; -1 where no id is given, -2 for an id the engine never saw."""
        v = batch.raw("order_id", required=required)
        if v is None:
            return np.full(batch.n, -1, np.int64)
        ids = np.asarray(v, dtype=object)
        null = pd.isna(ids)
        get = self._order_row.get
        rows = np.full(batch.n, -1, np.int64)
        for j in np.flatnonzero(~null):
            try:
                rows[j] = get(ids[j], -2)
            except TypeError:
                raise ValueError(f"The 'order_id' column of {batch.method} holds a value that cannot be an id. "
                                 f"Got {ids[j]!r} (record {int(j)}).") from None
        return rows

    # ------------------------------------------------------------------ inputs
    def _instrument_ids(self, values) -> np.ndarray:
        """Instrument ids from ids or symbols (an unknown symbol is -1, refused by the kernel)."""
        v = values.raw("instrument") if isinstance(values, _Batch) else values
        if isinstance(v, pd.Series):
            v = v.array if isinstance(v.dtype, pd.CategoricalDtype) else v.to_numpy()
        if isinstance(v, np.ndarray) and v.dtype.kind in "iu":
            return v.astype(np.int64, copy=False)
        if isinstance(v, np.ndarray) and v.dtype.kind == "f":
            ok = np.isfinite(v) & (v == np.floor(v)) & (np.abs(v) < _INT64_SAFE)
            return np.where(ok, v, -1).astype(np.int64)
        codes, uniques = values.factorize("instrument", v) if isinstance(values, _Batch) else pd.factorize(
            v if isinstance(v, pd.api.extensions.ExtensionArray) else np.asarray(v, dtype=object))
        index = {sym: k for k, sym in enumerate(self.symbols)}
        lut = np.array([index.get(str(u), -1) for u in uniques] + [-1], dtype=np.int64)
        return lut[codes]

    def _result(self, batch: _Batch, reason: np.ndarray, **cols) -> pd.DataFrame:
        """The batch's verdicts: arrays wrapped in a DataFrame (no copies), the batch's index."""
        n = reason.shape[0]
        if np.count_nonzero(reason) == 0:  # the usual batch, every record accepted: no pass per record
            self._rejected[RejectReason.NONE] += n
            accepted = np.ones(n, np.bool_)
            codes = np.full(n, _REASON_POS[RejectReason.NONE], np.int8)
        else:
            self._rejected += np.bincount(reason.astype(np.intp), minlength=len(self._rejected))[:len(self._rejected)]
            accepted = reason == RejectReason.NONE
            codes = _REASON_POS[reason]
        # the codes are ours (every one a category): no validation pass
        data = {"accepted": accepted, "reason": pd.Categorical.from_codes(codes, dtype=_REASON_DTYPE, validate=False),
                **cols}
        return pd.DataFrame(data, index=batch.index, copy=False)

    def check_orders(self, orders) -> pd.DataFrame:
        """Run the pre-trade controls on a batch of orders.

        Parameters
        ----------
        orders : DataFrame, dict of arrays or structured ndarray
            Columns ``ts`` (int ns, datetime or ISO string), ``book``, ``instrument`` (symbol or
            id), ``side`` (BUY/SELL or +1/-1), ``qty``, ``ref_price`` (the collar's reference) and
            optionally ``limit_price`` (NaN/absent = market order), ``client``, ``trader``,
            ``order_id`` (any hashable; an accepted order with an id works until fills, a
            cancel or expiry release it; a reused id is rejected as DUPLICATE_ORDER) and ``fx``
            (base-currency value of one unit of the instrument's currency at the order's time;
            default the engine's current rate).

        Returns
        -------
        DataFrame with ``accepted`` (bool) and ``reason`` (RejectReason label), same index.

        Raises
        ------
        ValueError
            A missing column, or a malformed one (a fractional book or quantity, a missing or
            unparseable timestamp, a cell that is not a number): the message names the column and
            a bad value, and the engine's state is unchanged. Records that are merely bad (an
            unknown book, a negative quantity, ...) are refused with a reason code instead.
        """
        batch = _Batch(orders, "check_orders")
        n = batch.n
        ts = batch.timestamps()
        inst = self._instrument_ids(batch)
        book, side, qty = batch.ints("book", -1), batch.sides(), batch.ints("qty", 0)
        ref = batch.floats("ref_price")
        limit = batch.floats("limit_price", np.nan)
        client, trader = batch.ints("client", -1, 0), batch.ints("trader", -1, 0)
        given_fx = batch.floats("fx", np.nan)
        reason = np.zeros(n, np.int8)
        rows, new_ids = self._new_order_rows(batch, reason)
        # validated: from here on the engine's state moves
        self._commit_order_rows(new_ids)
        fx_inst = self.fx_inst
        ok = (inst >= 0) & (inst < len(fx_inst))
        order_fx = np.where(ok, fx_inst[np.where(ok, inst, 0)], np.nan)
        order_fx = np.where(np.isfinite(given_fx) & (given_fx > 0), given_fx, order_fx)
        # notional and credit are money: qty x price x FX x contract multiplier
        order_fx = order_fx * np.where(ok, self._inst.multiplier[np.where(ok, inst, 0)], 1.0)
        ob = kernel_batch(ek.OrderBatch, ts=ts, client=client, trader=trader, book=book, inst=inst, side=side,
                          qty=qty, is_limit=~np.isnan(limit), limit_price=limit, ref_price=ref, fx=order_fx, row=rows)
        ek.check_orders_nb(ob, self._controls(), self._positions(), self._ts_orders, self._otab, reason)
        return self._result(batch, reason)

    def on_cancels(self, cancels) -> pd.DataFrame:
        """Cancel what is left of working orders (columns ``ts`` and ``order_id``).

        The unfilled quantity stops counting in the position limits and its notional is given
        back to the client's credit, as in the desk loop; the fills so far stand. An id that is
        not working (unknown, rejected, filled, cancelled or expired) is UNKNOWN_ORDER.
        """
        batch = _Batch(cancels, "on_cancels")
        ts = batch.timestamps()
        rows = self._known_order_rows(batch, required=True)
        reason = np.zeros(batch.n, np.int8)
        ek.cancel_orders_nb(ts, rows, self._otab, self._controls(), self._positions(), self._ts_cancels, reason)
        return self._result(batch, reason)

    def on_fills(self, fills, *, with_var: bool = True) -> pd.DataFrame:
        """Apply a batch of fills: positions, P&L and each book's scenario P&L, incrementally.

        Parameters
        ----------
        fills : DataFrame, dict of arrays or structured ndarray
            Columns ``ts``, ``book``, ``instrument`` (symbol or id), ``side`` (BUY/SELL or
            +1/-1), ``qty`` (> 0), ``price`` and optionally ``fee`` (instrument currency) and
            ``order_id``: a fill naming a working order reduces its working quantity (it must
            match the order's book, instrument and side and not exceed its leaves quantity); a
            fill without an id is an external fill that only moves the position. Columns are
            read once per batch (int64/float64 columns without a copy) and checked with
            vectorized tests; all per-fill work runs in one compiled pass.
        with_var : bool, default=True
            Also compute the book's VaR/ES after every fill (O(scenarios) each) and check the
            VaR limits; without it only the scenario vectors are kept current.

        Returns
        -------
        DataFrame with ``accepted``, ``reason``, and the book's ``var_1d`` / ``es_1d`` after the
        fill (NaN for rejected fills), same index.

        Raises
        ------
        ValueError
            A missing or malformed column (see :meth:`check_orders`); the state is unchanged.
        """
        batch = _Batch(fills, "on_fills")
        n = batch.n
        ts = batch.timestamps()
        inst = self._instrument_ids(batch)
        book, side, qty = batch.ints("book", -1), batch.sides(), batch.ints("qty", 0)
        price = batch.floats("price")
        fee = batch.floats("fee", 0.0)
        rows = self._known_order_rows(batch)
        reason = np.zeros(n, np.int8)
        out_var = np.empty(n)
        out_es = np.empty(n)
        st = self._state
        fifo = self.risk_config.pnl_method == "fifo"
        tails = self._tails()
        start = 0
        while True:
            if fifo:
                st.reserve_lots(n - start)
            # two VaR checks per fill at most (calloc'd: untouched pages cost nothing)
            breaches = np.zeros(2 * (n - start) + 1 if with_var else 0, BREACH_DT)
            sl = slice(start, None)
            fb = kernel_batch(ek.FillBatch, ts=ts[sl], book=book[sl], inst=inst[sl], side=side[sl], qty=qty[sl],
                              price=price[sl], fee=fee[sl], row=rows[sl])
            done, nb, status = ek.apply_fills_nb(fb, self._positions(), tails, self._limits(breaches),
                                                 st.book_state, bool(with_var), self._ts_fills, self._otab,
                                                 reason[sl], out_var[sl], out_es[sl])
            st.n_breaches_total += nb
            if nb:
                self._breaches.append(breaches[:nb].copy())
            if status == 0:
                break
            start += done  # pragma: no cover - reserve_lots sizes the pool for the batch
        st.n_fills_total += n - int(np.count_nonzero(reason))  # reason 0: applied
        return self._result(batch, reason, var_1d=out_var, es_1d=out_es)

    def on_prices(self, prices) -> pd.DataFrame:
        """Mark to market: new prices for some instruments (columns ``ts``, ``instrument``, ``price``).

        Re-marks the touched instruments' scenario P&L (and options on them) incrementally.
        """
        batch = _Batch(prices, "on_prices")
        ts = batch.timestamps()
        inst = self._instrument_ids(batch)
        price = batch.floats("price")
        reason = np.zeros(batch.n, np.int8)
        touched = np.zeros(self._inst.n, np.bool_)
        ek.apply_prices_nb(ts, inst, price, self._marks, self._ts_prices, touched, reason)
        if touched.any():
            self._now = int(self._ts_prices[0])
            i = self._inst
            ek.remark_nb(touched, i.asset_class, i.underlying, i.multiplier, i.strike, i.expiry_years(self._now), i.vol,
                         i.rate, i.div_yield, i.call_put, self._marks, self._returns, i.currency_id, self._fx_returns,
                         self._state.pos, self.fx_inst,
                         self._unit, self._spnl, self._desk, np.empty(self._returns.shape[1]))
            init_tails_nb(self._spnl, self._desk, self._tail_idx, self._tail_loss)  # the vectors moved
        return self._result(batch, reason)

    def check_limits(self, ts) -> pd.DataFrame:
        """Risk row per book and desk at ``ts`` and every limit check (breach events go to :attr:`breaches`)."""
        st = self._state
        t = int(_Batch({"ts": [ts]}, "check_limits").timestamps()[0])
        n_books = self.n_books
        pnl = np.zeros(n_books, PNL_DT)
        ccy = self._inst.currency_id
        mid = self._marks[:, None]
        fx = self._fx_ccy[:, None]
        mult = self._inst.multiplier
        _kernels.pnl_snapshot_nb(pnl, 0, t, 0, st.pos, st.avg, st.realized, st.fees, ccy, mid, fx, mult)
        risk = np.zeros(n_books + 1, RISK_DT)
        breaches = np.zeros((n_books + 1) * _kernels.N_LIMIT_KINDS, BREACH_DT)
        rc = self.risk_config
        nb = _kernels.risk_snapshot_nb(risk, 0, t, 0, pnl, 0, st.pos, mid, fx, ccy, mult, self._spnl, self._desk,
                                       self._var_buf, rc.var_level, rc.es_level, float(np.sqrt(rc.horizon_days)),
                                       st.peak, st.book_state, st.limit_state, limit_params(self.limits),
                                       np.int8(breach_action_code(self.limits)), breaches, 0,
                                       np.int64(st.n_breaches_total))
        st.n_breaches_total += nb
        if nb:
            self._breaches.append(breaches[:nb])
        return records_to_frame(risk).set_index("ts")

    @property
    def breaches(self) -> pd.DataFrame:
        """Every limit event so far (warning, breach, cleared)."""
        rec = np.concatenate(self._breaches) if self._breaches else np.zeros(0, BREACH_DT)
        df = records_to_frame(rec)
        names = np.array([s.name for s in TradingState] + [""], dtype=object)
        df["action"] = pd.Categorical(names[np.where(rec["action"] >= 0, rec["action"], len(names) - 1)])
        return df

    @property
    def rejects(self) -> pd.Series:
        """How many records of each reason the engine has seen (NONE = accepted)."""
        s = pd.Series(self._rejected[:len(RejectReason)], index=[r.name for r in RejectReason])
        return s[s > 0]


def warmup_engine() -> None:
    """Compile (or load from cache) the streaming engine's kernels with a tiny session."""
    inst = pd.DataFrame({"symbol": ["A", "A_C"], "asset_class": ["equity", "option"], "currency": "USD",
                         "underlying": ["", "A"], "strike": [np.nan, 100.0], "expiry": [0, 10**17],
                         "call_put": ["", "C"], "volatility": [0.2, 0.2]})
    eng = RiskEngine(inst, marks=[100.0, 5.0], scenarios=np.zeros((2, 20)))
    eng.check_orders(pd.DataFrame({"ts": [0], "book": [0], "instrument": ["A"], "side": [1], "qty": [1],
                                   "ref_price": [100.0]}))
    eng.on_fills(pd.DataFrame({"ts": [0], "book": [0], "instrument": ["A"], "side": [1], "qty": [1],
                               "price": [100.0]}))
    eng.on_prices(pd.DataFrame({"ts": [1], "instrument": ["A"], "price": [101.0]}))
    eng.var()
    eng.check_limits(1)
