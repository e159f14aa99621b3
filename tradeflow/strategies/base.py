"""Desk strategies at the session cadence: plain Python, called at each open, orders scheduled over the day.

A :class:`Strategy` is called once per business day, at the open, with a read-only
:class:`DeskView` of the desk (positions per book and instrument, average costs, realized P&L
and fees, last VaR per book, Greeks at the open, the open and previous close, the volume profile,
its own orders of the previous day) and sends orders through :meth:`DeskView.send`, each with its
own time in the session. Those orders carry ``origin = DESK`` and their book, join the
clients' orders in time order and go through everything a client order goes through: the
pre-trade controls (same controls, same reject reasons), the venue after its latency (taking or
making liquidity), positions, P&L, risk and limits, the ledger, settlement and reconciliation.

The strategy draws its randomness from ``view.rng``, the run's ``"strategy"`` stream, so a
run with a strategy is reproducible under its seed. See ``docs/strategies.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tradeflow.market.paths import MarketData
from tradeflow.middle.greeks import position_greeks
from tradeflow.middle.instruments import instrument_risk
from tradeflow.schema import ORDER_DT, OrderOrigin, OrderType, TimeInForce

__all__ = ["DeskView", "Strategy", "merge_desk_orders"]

_TIF = {"DAY": TimeInForce.DAY, "IOC": TimeInForce.IOC, "FOK": TimeInForce.FOK}


class Strategy:
    """Base class of a desk strategy at the session cadence.

    Override :meth:`on_open`; send orders with ``view.send(...)``. Keep state on ``self``
    (one instance runs the whole multi-day run; ``run_many`` sends each worker a copy).
    """

    def on_open(self, view: DeskView) -> None:  # pragma: no cover - the default sends nothing
        """Called at each session's open, before any order of the day."""


def _ro(a: np.ndarray) -> np.ndarray:
    a = np.array(a, copy=True)
    a.flags.writeable = False
    return a


@dataclass(slots=True)
class DeskView:
    """What a strategy sees at the open (read-only arrays) and where it sends orders.

    Attributes
    ----------
    day : int
        0 for the run's first business day.
    trade_date : numpy.datetime64
    open_ts, close_ts : int
        The session's open and close (ns since the epoch, UTC).
    times : int64 ndarray
        The session's quote grid (ns); orders may be sent at any time in ``[open_ts, close_ts)``.
    symbols : list of str
        Instruments in id order (options after their underlyings).
    instruments : DataFrame
        The instrument table (``symbol, currency, tick_size, multiplier, underlying, ...``).
    pos, avg_cost, realized, fees : ndarray of shape (n_books, n_instruments)
        Carried in from the previous close: position (units), average cost, cumulative realized
        P&L and fees (instrument currency).
    open_mid : float64 ndarray (n_instruments,)
        The mid at the open.
    prev_close : float64 ndarray (n_instruments,) or None
        The previous session's closing mid (None on the first day).
    profile : float64 ndarray (n_steps,)
        The day's expected intraday volume profile on the grid (sums to 1): for VWAP schedules.
    var_1d : float64 ndarray (n_books + 1,) or None
        Each book's and (last) the desk's 1-day VaR at the previous close (None on the first day
        or without risk rows).
    own_orders : ORDER_DT records
        The strategy's orders of the previous session, with their final status and fills.
    rng : numpy.random.Generator
        The strategy's random stream (the run's ``"strategy"`` stream).
    """

    day: int
    trade_date: np.datetime64
    open_ts: int
    close_ts: int
    times: np.ndarray
    symbols: list[str]
    instruments: pd.DataFrame
    pos: np.ndarray
    avg_cost: np.ndarray
    realized: np.ndarray
    fees: np.ndarray
    open_mid: np.ndarray
    prev_close: np.ndarray | None
    profile: np.ndarray
    var_1d: np.ndarray | None
    own_orders: np.ndarray
    rng: np.random.Generator
    _fx_inst: np.ndarray = field(repr=False, default=None)
    _sent: list = field(default_factory=list, repr=False)

    @property
    def n_books(self) -> int:
        return int(self.pos.shape[0])

    def greeks(self) -> pd.DataFrame:
        """Greeks of every book x instrument position at the open (see
        :func:`tradeflow.middle.greeks.position_greeks`): ``delta`` in units of the underlying."""
        inst = instrument_risk(self.instruments)
        return position_greeks(self.pos, inst, self.open_mid, self._fx_inst, int(self.open_ts))

    def delta(self) -> np.ndarray:
        """Delta of each book per underlying instrument, shape (n_books, n_instruments): options'
        deltas (quantity x multiplier x Black-Scholes delta at the open) added to their underlying."""
        inst = instrument_risk(self.instruments)
        g = self.greeks()
        out = np.zeros(self.pos.shape)
        if len(g):
            np.add.at(out, (g["book"].to_numpy(), inst.underlying[g["instrument"].to_numpy()]), g["delta"].to_numpy())
        return out

    def send(self, *, instrument: int | str, side: int, qty: int, ts: int | None = None,
             limit_price: float | None = None, tif: str = "DAY", book: int = 0, ts_cancel: int | None = None,
             counterparty: int = 0) -> None:
        """Send an order: a market order without ``limit_price``, else a limit order.

        Parameters
        ----------
        instrument : int or str
            Id or symbol.
        side : {1, -1}
        qty : int
            Positive units.
        ts : int, optional
            When it is sent (ns, in ``[open_ts, close_ts)``); default the open.
        limit_price : float, optional
        tif : {"DAY", "IOC", "FOK"}, default="DAY"
        book : int, default=0
            The book it trades for (the positions it moves).
        ts_cancel : int, optional
            When what is left is cancelled (a day order expires at the close anyway).
        counterparty : int, default=0
            The settlement counterparty (the street side's id).
        """
        if isinstance(instrument, str):
            if instrument not in self.symbols:
                raise ValueError(f"The 'instrument' of a strategy order must be one of the symbols. "
                                 f"Got {instrument!r} instead.")
            instrument = self.symbols.index(instrument)
        self._sent.append((instrument, side, qty, self.open_ts if ts is None else ts, limit_price, tif, book,
                           ts_cancel, counterparty))

    def orders(self) -> list[tuple]:
        """What was sent so far (tuples, in the order sent)."""
        return list(self._sent)


def make_view(*, day: int, market: MarketData, close_ts: int, state, prev_close, var_1d, own_orders, rng,
              fx_inst: np.ndarray) -> DeskView:
    """Build the read-only view a strategy gets at the open (used by :func:`tradeflow.simulate`)."""
    profile = market.profile if market.profile is not None else np.ones(market.n_steps)
    profile = np.asarray(profile, np.float64)
    return DeskView(day=day, trade_date=market.trade_date, open_ts=int(market.times[0]), close_ts=int(close_ts),
                    times=_ro(market.times), symbols=list(market.instruments["symbol"]),
                    instruments=market.instruments.copy(), pos=_ro(state.pos), avg_cost=_ro(state.avg),
                    realized=_ro(state.realized), fees=_ro(state.fees), open_mid=_ro(market.mid[:, 0]),
                    prev_close=None if prev_close is None else _ro(prev_close), profile=_ro(profile / profile.sum()),
                    var_1d=None if var_1d is None else _ro(var_1d), own_orders=_ro(own_orders), rng=rng,
                    _fx_inst=np.asarray(fx_inst, np.float64))


def _bad(name: str, value, what: str, k: int) -> ValueError:
    return ValueError(f"The {name!r} of strategy order {k} must be {what}. Got {value!r} instead.")


def merge_desk_orders(client: np.ndarray, view: DeskView, market: MarketData, *, n_books: int,
                      first_order_id: int, client_id: int, trader_id: int) -> np.ndarray:
    """The session's orders: the clients' and the strategy's (``origin = DESK``) in time order.

    Orders are renumbered from ``first_order_id`` in time order (clients first at a tie; a
    replace's ``parent_id`` follows its original). The strategy's orders get the house client
    ``client_id`` and trader ``trader_id`` (their own credit, throttle and duplicate controls)
    and ``ref_price`` = the mid at the step they are sent, like a client's. Without strategy
    orders the clients' orders are returned unchanged.
    """
    sent = view.orders()
    if not sent:
        return client
    n_inst = market.n_instruments
    d = np.zeros(len(sent), ORDER_DT)
    for k, (i, side, qty, ts, lp, tif, book, tc, cp) in enumerate(sent):
        if isinstance(i, bool) or not isinstance(i, int | np.integer) or not 0 <= i < n_inst:
            raise _bad("instrument", i, f"an instrument id in [0, {n_inst}) or a symbol", k)
        if side not in (1, -1):
            raise _bad("side", side, "1 (buy) or -1 (sell)", k)
        if isinstance(qty, bool) or not isinstance(qty, int | np.integer) or qty <= 0:
            raise _bad("qty", qty, "a positive int", k)
        if isinstance(ts, bool) or not isinstance(ts, int | np.integer) or not view.open_ts <= ts < view.close_ts:
            raise _bad("ts", ts, f"an int ns time in the session [{view.open_ts}, {view.close_ts})", k)
        if lp is not None and not (np.isfinite(lp) and lp > 0):
            raise _bad("limit_price", lp, "a positive finite price or None (a market order)", k)
        if tif not in _TIF:
            raise _bad("tif", tif, f"one of {sorted(_TIF)}", k)
        if isinstance(book, bool) or not isinstance(book, int | np.integer) or not 0 <= book < n_books:
            raise _bad("book", book, f"a book id in [0, {n_books})", k)
        if tc is not None and (not isinstance(tc, int | np.integer) or tc < ts):
            raise _bad("ts_cancel", tc, "an int ns time at or after the order's 'ts', or None", k)
        d[k]["ts"] = ts
        d[k]["ts_cancel"] = -1 if tc is None else tc
        d[k]["instrument"] = i
        d[k]["side"] = side
        d[k]["qty"] = qty
        d[k]["order_type"] = OrderType.MARKET if lp is None else OrderType.LIMIT
        d[k]["limit_price"] = np.nan if lp is None else lp
        tif_code = _TIF[tif]
        if lp is None:
            tif_code = TimeInForce.IOC  # a market order's remainder is cancelled at the venue
        d[k]["tif"] = tif_code
        if tif_code != TimeInForce.DAY:
            d[k]["ts_cancel"] = ts
        d[k]["book"] = book
        d[k]["counterparty"] = cp
    d["parent_id"] = -1
    d["client"] = client_id
    d["trader"] = trader_id
    d["origin"] = OrderOrigin.DESK
    d["ref_price"] = market.mid[d["instrument"], market.step_of(d["ts"])]
    inst = market.instruments
    if "venue_id" in inst:  # its instrument's listing venue, as a client order's
        d["venue"] = inst["venue_id"].to_numpy(np.int32)[d["instrument"]]
    d["order_id"] = -1
    allo = np.concatenate([client, d])
    is_desk = np.concatenate([np.zeros(client.size, bool), np.ones(d.size, bool)])
    order = np.lexsort((np.arange(allo.size), is_desk, allo["ts"]))
    allo = allo[order]
    old_ids = allo["order_id"].copy()
    allo["order_id"] = first_order_id + np.arange(allo.size)
    rep = allo["origin"] == OrderOrigin.REPLACE
    if rep.any():
        known = old_ids >= 0
        remap = dict(zip(old_ids[known].tolist(), allo["order_id"][known].tolist(), strict=True))
        allo["parent_id"][rep] = [remap[int(p)] for p in allo["parent_id"][rep]]
    return allo
