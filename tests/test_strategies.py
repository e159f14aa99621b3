"""Desk strategies (session cadence): their orders go through every office exactly like a client's."""

from __future__ import annotations

import numpy as np
import pytest

import tradeflow
from tests.conftest import small_config
from tests.test_invariants import check_invariants
from tradeflow.schema import ORDER_DT, OrderOrigin, OrderStatus, OrderType, RejectReason, TimeInForce
from tradeflow.strategies import DeltaHedger, RiskReducer, Strategy, schedule
from tradeflow.strategies.base import make_view

OPTIONS = [{"symbol": "AAPL_C230", "underlying": "AAPL", "strike": 230.0, "expiry": "2026-12-18",
            "multiplier": 100.0},
           {"symbol": "SAP_P220", "underlying": "SAP", "strike": 220.0, "expiry": "2027-03-19", "kind": "put",
            "multiplier": 100.0, "volatility": 0.3}]


class Nothing(Strategy):
    def __init__(self):
        self.calls = []

    def on_open(self, view):
        self.calls.append((view.day, int(np.abs(view.pos).sum())))


def _same_records(a, b):
    assert a.records.keys() == b.records.keys()
    for k in a.records:
        ra, rb = a.records[k], b.records[k]
        assert ra.dtype == rb.dtype and ra.shape == rb.shape, k
        for f in ra.dtype.names:
            x, y = ra[f], rb[f]
            same = np.array_equal(x, y, equal_nan=True) if x.dtype.kind == "f" else np.array_equal(x, y)
            assert same, (k, f)


def fo_equals_bo(r):
    """Front-office P&L per currency equals the back office's cash plus marked positions, to the cent
    (the back office's own costs, settlement-fail penalties and buy-ins, left out)."""
    fo = r.positions.groupby("currency", observed=True)["total_pnl"].sum()
    led = r.ledger
    led = led[led["txn_type"].astype(str).isin(["TRADE", "SETTLEMENT"])]
    cash = led[led["account"].str.startswith("CASH:")].groupby("asset", observed=True)["amount"].sum()
    inst = r.instruments.set_index("symbol")
    pos = r.positions
    ids = inst.loc[pos["instrument"].astype(str), "instrument"].to_numpy()
    mult = inst.loc[pos["instrument"].astype(str), "multiplier"].to_numpy(np.float64)
    mv = pos["qty"].to_numpy() * r.market.mid[ids, -1] * mult
    bo = (cash / 100.0).add(pd_series(mv, pos["currency"].to_numpy()), fill_value=0)
    for ccy in fo.index:
        assert abs(fo[ccy] - bo[ccy]) < 0.005, (ccy, fo[ccy], bo[ccy])


def pd_series(values, keys):
    import pandas as pd
    return pd.Series(values).groupby(keys).sum()


def test_a_strategy_that_sends_nothing_leaves_every_record_bit_identical(strategy_cfg, strategy_plain):
    s = Nothing()
    _same_records(strategy_plain, tradeflow.simulate(strategy_cfg, seed=7, strategy=s))
    assert [d for d, _ in s.calls] == [0, 1]
    assert s.calls[1][1] > 0  # the second open saw the first day's inventory


def test_an_idle_hedger_sends_nothing_too(strategy_cfg, strategy_plain):
    _same_records(strategy_plain, tradeflow.simulate(strategy_cfg, seed=7, strategy=RiskReducer(min_qty=10**12)))


class Breacher(Strategy):
    """At each open + 10 s: one order too large, one limit far through the collar, one fine (on a venue
    open then: the desk-day opens with Xetra, New York opens hours later)."""

    def on_open(self, view):
        t = view.open_ts + 10 * 10**9
        view.send(instrument=0, side=1, qty=60_000, ts=t, book=1)  # max_order_qty is 50,000
        view.send(instrument="MSFT", side=-1, qty=100, ts=t + 1, limit_price=float(view.open_mid[1]) * 0.5, book=2)
        view.send(instrument="SAP", side=1, qty=100, ts=t + 2, book=0)  # Xetra is open at the desk's open


def test_strategy_orders_pass_the_same_controls_with_the_same_reasons(strategy_cfg):
    r = tradeflow.simulate(strategy_cfg, seed=7, strategy=Breacher())
    check_invariants(r)
    o = r.records["orders"]
    d = o[o["origin"] == OrderOrigin.DESK]
    assert len(d) == 6
    assert d["reject_reason"].tolist() == [RejectReason.MAX_ORDER_QTY, RejectReason.PRICE_COLLAR, 0] * 2
    assert (d["status"][d["reject_reason"] > 0] == OrderStatus.REJECTED).all()
    assert (d["client"] == strategy_cfg.flow.n_clients).all() and (d["trader"] == strategy_cfg.flow.n_traders).all()
    assert d["book"].tolist() == [1, 2, 0] * 2
    # the same order from a client gets the same answer from the same controls
    c = o[(o["origin"] == OrderOrigin.CLIENT) & (o["qty"] > strategy_cfg.pretrade.max_order_qty)]
    assert set(c["reject_reason"].tolist()) <= {RejectReason.MAX_ORDER_QTY, RejectReason.KILL_SWITCH,
                                                           RejectReason.BOOK_HALTED, RejectReason.THROTTLE,
                                                           RejectReason.INVALID_PRICE}
    # the accepted market order traded: it took liquidity (taker fills) and moved book 0's position
    f = r.records["fills"]
    mine = f[np.isin(f["order_id"], d["order_id"][d["reject_reason"] == 0])]
    assert len(mine) and (mine["book"] == 0).all() and (mine["liquidity"] == 1).all()


def test_desk_loop_treats_a_desk_order_like_a_clients():
    """The same order twice in one session, once from a client and once from the desk: same outcome."""
    from tradeflow.market import simulate_market
    from tradeflow.middle import DeskState, run_desk

    c = small_config(10)
    m = simulate_market(c.market, np.random.default_rng(0), trade_date=np.datetime64("2026-11-25"), open_mid=None,
                        open_fx=None, garch_state=None, prices=None)
    for qty, lp in ((10**7, None), (100, 1.0), (100, None)):
        o = np.zeros(2, ORDER_DT)
        o["order_id"] = [0, 1]
        o["ts"] = m.times[5] + np.array([0, 10**9])
        o["ts_cancel"] = -1
        o["client"] = [0, 1]
        o["trader"] = [0, 1]
        o["side"] = 1
        o["qty"] = qty
        o["order_type"] = OrderType.MARKET if lp is None else OrderType.LIMIT
        o["tif"] = TimeInForce.IOC if lp is None else TimeInForce.DAY
        o["limit_price"] = np.nan if lp is None else lp
        o["ref_price"] = m.mid[0, 5]
        o["origin"] = [OrderOrigin.CLIENT, OrderOrigin.DESK]
        o["parent_id"] = -1
        out = run_desk(o, np.zeros(0, tradeflow.schema.EXECUTION_DT), m, c.pretrade, DeskState.flat(4, m.n_instruments),
                       close_ts=int(m.times[-1]) + 1, pnl_interval_s=3600)
        assert out.orders["reject_reason"][0] == out.orders["reject_reason"][1]
        assert out.orders["status"][0] == out.orders["status"][1]


@pytest.mark.parametrize("strategy", [RiskReducer(), RiskReducer(vwap=True, fraction=0.5, slices=6)],
                         ids=["twap", "vwap-half"])
def test_invariants_hold_with_the_risk_reducer(strategy_cfg, strategy_plain, strategy):
    r = tradeflow.simulate(strategy_cfg, seed=7, strategy=strategy)
    check_invariants(r)
    fo_equals_bo(r)
    o = r.records["orders"]
    d = o[o["origin"] == OrderOrigin.DESK]
    assert len(d) > 0 and (d["ts"] >= r.market.times[0]).all()
    # it works against the inventory carried into day 2: each order's side opposes the carried position
    eod = strategy_plain.records["eod_positions"]
    d1 = eod[eod["trade_date"] == eod["trade_date"].min()]
    carried = {(int(b), int(i)): int(q) for b, i, q in zip(d1["book"], d1["instrument"], d1["qty"], strict=True)}
    for row in d:
        assert row["side"] == -np.sign(carried[(int(row["book"]), int(row["instrument"]))])
    # and on day 2 the reduced books end flatter than without it, in total
    filled = d["filled_qty"].sum()
    assert filled > 0


@pytest.fixture(scope="module")
def option_cfg():
    return small_config(1_000, days=2, market={"options": OPTIONS})


def test_delta_hedger_keeps_invariants_and_hedges_against_delta(option_cfg):
    h = DeltaHedger(band=200.0)
    r = tradeflow.simulate(option_cfg, seed=3, strategy=h)
    check_invariants(r)
    fo_equals_bo(r)
    assert h.hedges, "an options book should have needed a hedge"
    o = r.records["orders"]
    d = o[o["origin"] == OrderOrigin.DESK]
    day = np.searchsorted(r.trade_dates.astype("datetime64[D]").astype(np.int64), d["ts"] // 86_400_000_000_000)
    n_sent = 0
    for k, book, inst, delta, q in h.hedges:
        assert abs(delta) > 200.0 and q == -round(delta)
        mine = d[(d["book"] == book) & (d["instrument"] == inst) & (day == k)]
        assert (mine["side"] == np.sign(q)).all() and mine["qty"].sum() == abs(q)
        n_sent += len(mine)
    assert n_sent == len(d)
    assert (d["instrument"] < 10).all()  # hedges trade the underlyings, never the options


def test_strategy_runs_are_reproducible_and_use_their_own_stream(strategy_cfg):
    class Random(Strategy):
        def on_open(self, view):
            for _ in range(3):
                t = int(view.open_ts + view.rng.integers(1, 3_600) * 10**9)
                view.send(instrument=int(view.rng.integers(0, 10)), side=1, qty=100, ts=t)

    small = small_config(500, days=2)
    a = tradeflow.simulate(small, seed=9, strategy=Random())
    b = tradeflow.simulate(small, seed=9, strategy=Random())
    assert (a.records["orders"]["origin"] == OrderOrigin.DESK).sum() == 6
    _same_records(a, b)


def test_run_many_passes_the_strategy(strategy_cfg):
    from tradeflow.parallel import run_many
    from tradeflow.parallel.metrics import summarize

    rows = run_many(strategy_cfg, seeds=[8], executor="sequential", strategy=RiskReducer(), warm=False)
    assert (rows["status"] == "ok").all()
    direct = summarize(tradeflow.simulate(strategy_cfg, seed=8, strategy=RiskReducer()))
    for k, v in direct.items():
        if isinstance(v, int | float | np.number) and np.isfinite(v):
            assert rows.loc[0, k] == v, k


def test_schedule_twap_vwap_and_child_cap(strategy_cfg):
    from tradeflow.market import simulate_market
    from tradeflow.middle import DeskState

    m = simulate_market(strategy_cfg.market, np.random.default_rng(0), trade_date=np.datetime64("2026-11-25"),
                        open_mid=None, open_fx=None, garch_state=None, prices=None)
    v = make_view(day=0, market=m, close_ts=int(m.times[-1]) + 10**9, state=DeskState.flat(4, m.n_instruments),
                  prev_close=None, var_1d=None, own_orders=np.zeros(0, ORDER_DT), rng=np.random.default_rng(0),
                  fx_inst=np.ones(m.n_instruments))
    ts, q = schedule(v, -1_000, slices=4, start_s=0, end_s=0)
    assert q.tolist() == [250] * 4 and ts[0] == v.open_ts and np.all(np.diff(ts) > 0)
    ts, q = schedule(v, 10_001, slices=3, start_s=60, end_s=60, max_child=1_000)
    assert q.sum() == 10_001 and q.max() <= 1_000 and len(q) == 11
    ts, q = schedule(v, 9_000, slices=3, start_s=0, end_s=0, vwap=True)
    prof = v.profile
    third = len(prof) // 3
    w = np.array([prof[:third].sum(), prof[third:2 * third].sum(), prof[2 * third:].sum()])
    np.testing.assert_allclose(q, 9_000 * w / w.sum(), atol=60)
    with pytest.raises(ValueError, match="read-only"):
        v.pos[0, 0] = 1


@pytest.mark.parametrize("kwargs, match", [
    ({"instrument": "NOPE", "side": 1, "qty": 1}, "'instrument'"),
    ({"instrument": 0, "side": 2, "qty": 1}, "'side' of strategy order 0"),
    ({"instrument": 0, "side": 1, "qty": 0}, "'qty' of strategy order 0 must be a positive int"),
    ({"instrument": 0, "side": 1, "qty": 1, "ts": 0}, "'ts' of strategy order 0"),
    ({"instrument": 0, "side": 1, "qty": 1, "book": 99}, "'book' of strategy order 0"),
    ({"instrument": 0, "side": 1, "qty": 1, "limit_price": -1.0}, "'limit_price'"),
    ({"instrument": 0, "side": 1, "qty": 1, "tif": "GTC"}, "'tif'"),
])
def test_bad_strategy_orders_raise_clear_errors(kwargs, match):
    class Bad(Strategy):
        def on_open(self, view):
            view.send(**kwargs)

    with pytest.raises(ValueError, match=match):
        tradeflow.simulate(small_config(200), seed=0, strategy=Bad())
    with pytest.raises(TypeError, match="on_open"):
        tradeflow.simulate(small_config(200), seed=0, strategy=object())
