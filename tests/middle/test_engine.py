"""The streaming RiskEngine: same kernels as the desk loop, micro-batches of any size, no record dropped."""

import functools
import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import small_config
from tradeflow import RiskConfig, RiskEngine
from tradeflow.config import LimitsConfig, PreTradeConfig
from tradeflow.front import execute_orders, generate_orders
from tradeflow.market import simulate_market
from tradeflow.market.scenarios import scenarios_from_frame, simulate_scenarios
from tradeflow.middle import DeskState, RiskSetup, run_desk
from tradeflow.middle.instruments import NS_PER_YEAR
from tradeflow.middle.var import var_es
from tradeflow.schema import NS_PER_DAY, OrderStatus, RejectReason

SYMS = ["AAA", "BBB", "CCC"]


def make_engine(n_books=3, **kw):
    inst = pd.DataFrame({"symbol": SYMS, "currency": ["USD", "USD", "EUR"]})
    rets = pd.DataFrame(np.random.default_rng(0).normal(0, 0.02, (250, 3)), columns=SYMS)
    return RiskEngine(inst, marks=[100.0, 50.0, 20.0], scenarios=rets, n_books=n_books, fx={"EUR": 1.1}, **kw)


fill_rows = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2), st.sampled_from([1, -1]), st.integers(1, 1000),
                               st.floats(1.0, 200.0)), min_size=1, max_size=60)


def frame(rows):
    return pd.DataFrame({"ts": np.arange(len(rows), dtype=np.int64), "book": [r[0] for r in rows],
                         "instrument": [SYMS[r[1]] for r in rows], "side": [r[2] for r in rows],
                         "qty": [r[3] for r in rows], "price": [r[4] for r in rows], "fee": 0.5})


@given(fill_rows, st.lists(st.integers(1, 20), min_size=1, max_size=10))
def test_micro_batches_of_any_size_give_the_same_state(rows, cuts):
    df = frame(rows)
    one = make_engine()
    out_one = one.on_fills(df)
    many = make_engine()
    parts, start = [], 0
    for c in itertools.cycle(cuts):  # batch sizes repeat until every row is fed
        if start >= len(df):
            break
        parts.append(many.on_fills(df.iloc[start:start + c]))
        start += c
    out_many = pd.concat(parts)
    pd.testing.assert_frame_equal(out_one, out_many)
    pd.testing.assert_frame_equal(one.snapshot(), many.snapshot())
    pd.testing.assert_frame_equal(one.var(), many.var())
    # the incremental scenario vectors equal a recompute from the positions
    pos = one._state.pos
    np.testing.assert_allclose(one.book_scenario_pnl, (pos * one.fx_inst) @ one._unit, rtol=1e-9, atol=1e-6)
    v = one.var()
    for b in range(3):
        assert v.loc[b, "var_1d"] == pytest.approx(np.quantile(-one.book_scenario_pnl[b], 0.99,
                                                               method="inverted_cdf"))
    # per-fill VaR is the book's VaR right after that fill
    last = out_one.groupby(df["book"]).tail(1)
    for idx, row in last.iterrows():
        assert row["var_1d"] == pytest.approx(v.loc[df.loc[idx, "book"], "var_1d"])


def test_bad_records_are_rejected_with_a_reason_never_dropped():
    eng = make_engine()
    df = pd.DataFrame({"ts": [5, 6, 4, 7, 8, 9, 10, 11], "book": [0, 0, 0, 9, 0, 0, 0, 0],
                       "instrument": ["AAA", "ZZZ", "AAA", "AAA", "AAA", "AAA", "BBB", "AAA"],
                       "side": ["BUY", "BUY", "BUY", "BUY", "BUY", "SELL", "HOLD", "BUY"],
                       "qty": [10, 10, 10, 10, 0, -5, 10, 10], "price": [100.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, np.nan]})
    out = eng.on_fills(df)
    assert len(out) == len(df) and list(out.index) == list(df.index)
    assert out["reason"].tolist() == ["NONE", "UNKNOWN_INSTRUMENT", "TS_BACKWARDS", "UNKNOWN_BOOK", "INVALID_QTY",
                                      "INVALID_QTY", "INVALID_QTY", "INVALID_PRICE"]
    assert eng.snapshot()["qty"].tolist() == [10]
    prices = eng.on_prices(pd.DataFrame({"ts": [12, 3, 13, 14], "instrument": ["AAA", "AAA", "QQQ", "BBB"],
                                         "price": [101.0, 102.0, 5.0, -1.0]}))
    assert prices["reason"].tolist() == ["NONE", "TS_BACKWARDS", "UNKNOWN_INSTRUMENT", "INVALID_PRICE"]
    assert eng.snapshot()["mark"].tolist() == [101.0]
    assert eng.rejects["TS_BACKWARDS"] == 2


@given(st.lists(st.tuples(st.integers(-3, 5), st.one_of(st.sampled_from(SYMS + ["?"]), st.integers(-2, 5)),
                          st.sampled_from(["BUY", "SELL", 0, 1, -1, "x"]), st.integers(-5, 100),
                          st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.just(10.0)),
                          st.integers(-10, 10)), min_size=1, max_size=30))
def test_garbage_never_crashes(rows):
    eng = make_engine()
    df = pd.DataFrame({"ts": [r[5] for r in rows], "book": [r[0] for r in rows],
                       "instrument": [r[1] for r in rows], "side": [r[2] for r in rows], "qty": [r[3] for r in rows],
                       "price": [r[4] for r in rows]})
    out = eng.on_fills(df)
    assert len(out) == len(df)
    assert (out["accepted"] == (out["reason"] == "NONE")).all()
    assert int(eng._state.n_fills.sum()) == int(out["accepted"].sum())
    chk = eng.check_orders(df.rename(columns={"price": "ref_price"}))
    assert len(chk) == len(df)


def test_pretrade_controls_in_the_engine():
    eng = make_engine(pretrade=PreTradeConfig(max_orders_per_second=2, client_credit_limit=50_000.0,
                                              max_position_qty=1_000), n_clients=2, n_traders=2)

    def orders(ts, **kw):
        base = {"ts": ts, "book": 0, "instrument": "AAA", "side": "BUY", "qty": 10, "ref_price": 100.0,
                "client": 0, "trader": 0}
        return pd.DataFrame([{**base, **kw}])

    assert eng.check_orders(orders(0))["accepted"][0]
    assert eng.check_orders(orders(1))["reason"][0] == "DUPLICATE_ORDER"
    assert eng.check_orders(orders(2, qty=11))["accepted"][0]
    assert eng.check_orders(orders(3, qty=12))["reason"][0] == "THROTTLE"  # 3rd order within one second
    assert eng.check_orders(orders(1_000_000_001, qty=13))["accepted"][0]
    assert eng.check_orders(orders(2_000_000_000, qty=500, client=0))["reason"][0] == "CREDIT_LIMIT"
    assert eng.check_orders(orders(2_000_000_001, qty=400, client=1, trader=1))["accepted"][0]
    assert eng.check_orders(orders(2_000_000_002, qty=2_000, client=1, trader=1))["reason"][0] == "MAX_POSITION"
    assert eng.check_orders(orders(3_000_000_000, client=5))["reason"][0] == "UNKNOWN_CLIENT"
    eng.on_fills(pd.DataFrame({"ts": [0], "book": [0], "instrument": ["AAA"], "side": ["BUY"], "qty": [100],
                               "price": [100.0]}))
    eng.set_trading_state(0, "REDUCING_ONLY")
    assert eng.check_orders(orders(4_000_000_000, trader=1, client=1))["reason"][0] == "REDUCING_ONLY"
    assert eng.check_orders(orders(4_000_000_001, trader=1, client=1, side="SELL", qty=50))["accepted"][0]
    assert eng.check_orders(orders(4_000_000_002, trader=1, client=1, side="SELL", qty=150))["reason"][0] \
        == "REDUCING_ONLY"  # would flip the position
    eng.set_trading_state(0, "HALTED")
    assert eng.check_orders(orders(5_000_000_000, side="SELL", qty=5))["reason"][0] == "BOOK_HALTED"
    eng.kill_switch()
    assert eng.check_orders(orders(6_000_000_000, book=1, qty=7))["reason"][0] == "KILL_SWITCH"


def test_var_limit_breach_switches_the_book_to_reducing_only():
    eng = make_engine(limits=LimitsConfig(book_var=1_000.0, desk_var=0.0, warning_fraction=0.4))
    out = eng.on_fills(pd.DataFrame({"ts": [1, 2, 3], "book": [0, 0, 0], "instrument": ["AAA"] * 3,
                                     "side": [1, 1, -1], "qty": [100, 300, 400], "price": [100.0] * 3}))
    b = eng.breaches
    assert b["level"].tolist() == ["WARNING", "BREACH", "CLEARED"]
    assert (b["value"].to_numpy() == out["var_1d"].to_numpy()).all()
    assert b["action"].tolist() == ["", "REDUCING_ONLY", ""]
    assert eng._state.book_state[0] == 1  # a breach's action stays until the desk resets it
    chk = eng.check_orders(pd.DataFrame({"ts": [4], "book": [0], "instrument": ["AAA"], "side": ["BUY"],
                                         "qty": [1], "ref_price": [100.0]}))
    assert chk["reason"][0] == "REDUCING_ONLY"


def test_engine_reproduces_the_desk_loop_var():
    """Feed a desk-day's fills to the engine: same positions and the same close VaR as run_desk."""
    cfg = small_config(1_500)
    rng = np.random.default_rng(7)
    market = simulate_market(cfg.market, rng)
    orders = generate_orders(cfg.flow, market, rng, first_order_id=0)
    execs = execute_orders(orders, market, cfg.execution, np.full(market.n_instruments, 100.0))
    returns = simulate_scenarios(cfg.market, rng, 250)
    setup = RiskSetup.from_market(market, returns, cfg.risk, cfg.limits)
    close = int(market.trade_date.astype(np.int64)) * NS_PER_DAY + cfg.market.session_close_ns
    state = DeskState.flat(cfg.flow.n_books, market.n_instruments)
    out = run_desk(orders, execs, market, cfg.pretrade, state, close_ts=close, pnl_interval_s=600, risk=setup)
    eng = RiskEngine(market.instruments, marks=market.mid[:, 0], scenarios=returns, n_books=cfg.flow.n_books,
                     fx={c: float(market.fx[k, 0]) for k, c in enumerate(market.currencies)}, risk=cfg.risk)
    f = pd.DataFrame({k: out.fills[k] for k in ("ts", "book", "instrument", "side", "qty", "price", "fee")})
    res = eng.on_fills(f)
    assert res["accepted"].all()
    np.testing.assert_array_equal(eng._state.pos, state.pos)
    np.testing.assert_allclose(eng._state.realized, state.realized, rtol=1e-12)
    eng.set_fx({c: float(market.fx[k, -1]) for k, c in enumerate(market.currencies) if k})
    eng.on_prices(pd.DataFrame({"ts": close, "instrument": np.arange(market.n_instruments),
                                "price": market.mid[:, -1]}))
    last = out.risk[out.risk["ts"] == out.risk["ts"].max()]
    v = eng.var()
    for b in range(cfg.flow.n_books):
        assert v.loc[b, "var_1d"] == pytest.approx(last["var_1d"][last["book"] == b][0], rel=1e-9)
    assert v.loc["desk", "es_1d"] == pytest.approx(last["es_1d"][last["book"] == -1][0], rel=1e-9)


def test_options_in_the_engine_are_revalued_and_have_greeks():
    inst = pd.DataFrame({"symbol": ["AAA", "AAA_C", "AAA_P"], "asset_class": ["equity", "option", "option"],
                         "currency": "USD", "multiplier": [1.0, 100.0, 100.0], "volatility": [0.3, 0.25, 0.25],
                         "underlying": ["", "AAA", "AAA"], "strike": [np.nan, 100.0, 100.0],
                         "expiry": [0, NS_PER_YEAR // 4, NS_PER_YEAR // 4], "call_put": ["", "C", "P"]})
    rets = pd.DataFrame({"AAA": np.random.default_rng(1).normal(0, 0.02, 300)})
    eng = RiskEngine(inst, marks=[100.0, 5.0, 4.0], scenarios=rets, n_books=1, risk=RiskConfig(risk_free_rate=0.0))
    eng.on_fills(pd.DataFrame({"ts": [0, 0], "book": 0, "instrument": ["AAA_C", "AAA_P"], "side": [1, -1],
                               "qty": [10, 10], "price": [5.0, 4.0]}))
    g = eng.greeks().set_index("instrument")
    # long call + short put at the same strike and no carry = a synthetic forward: delta ~ 1 per unit
    assert g["delta"].sum() == pytest.approx(1_000.0, rel=1e-3)
    assert g["dollar_gamma"].sum() == pytest.approx(0.0, abs=1e-6)
    # and it loses like 1,000 shares, plus the tiny theta of a forward
    share = var_es(-1_000 * 100.0 * rets["AAA"].to_numpy() * -1, 0.99, 0.99)[0]
    assert eng.var().loc[0, "var_1d"] == pytest.approx(share, rel=0.02)
    s = eng.stress(["2020-03-16 COVID"])
    assert s.loc["2020-03-16 COVID", "desk"] == pytest.approx(1_000 * 100.0 * -0.1198, rel=0.02)


def test_engine_validates_its_construction():
    inst = pd.DataFrame({"symbol": SYMS, "currency": "USD"})
    with pytest.raises(ValueError, match="'marks'"):
        RiskEngine(inst, marks=[1.0, 2.0], scenarios=np.zeros((3, 10)))
    with pytest.raises(ValueError, match="no column"):
        RiskEngine(inst, marks=[1.0, 2.0, 3.0], scenarios=pd.DataFrame({"AAA": [0.0]}))
    with pytest.raises(ValueError, match="'n_books'"):
        RiskEngine(inst, marks=[1.0, 2.0, 3.0], scenarios=np.zeros((3, 10)), n_books=0)
    with pytest.raises(ValueError, match="'fx'"):
        RiskEngine(pd.DataFrame({"symbol": ["A"], "currency": ["EUR"]}), marks=[1.0], scenarios=np.zeros((1, 5)))
    assert RejectReason.TS_BACKWARDS.name in [r.name for r in RejectReason]
    with pytest.raises(ValueError, match="row 1"):
        scenarios_from_frame(pd.DataFrame({"A": [0.1, np.nan]}), ["A"])


def test_parametric_and_monte_carlo_var_in_the_engine():
    eng = make_engine()
    eng.on_fills(frame([(0, 0, 1, 1_000, 100.0), (1, 1, -1, 2_000, 50.0), (1, 2, 1, 500, 20.0)]))
    from tradeflow.middle.var import delta_normal_var, ewma_covariance
    cov = ewma_covariance(eng._returns, 0.94)
    dn = eng.parametric_var()
    dollar = np.array([[1_000 * 100.0, 0.0, 0.0], [0.0, -2_000 * 50.0, 500 * 20.0 * 1.1], [0.0, 0.0, 0.0]])
    for b in range(3):
        assert dn.loc[b, "var"] == pytest.approx(delta_normal_var(dollar[b], cov))
    assert dn.loc["desk", "var"] == pytest.approx(delta_normal_var(dollar.sum(axis=0), cov))
    # linear book: delta-gamma equals delta-normal; Monte Carlo close to both
    np.testing.assert_allclose(eng.parametric_var(method="delta_gamma")["var"], dn["var"], rtol=1e-9)
    mc = eng.monte_carlo_var(np.random.default_rng(0), n_paths=100_000)
    assert mc.loc[0, "var"] == pytest.approx(dn.loc[0, "var"], rel=0.05)
    by_book = eng.greeks(by="book")
    assert by_book.loc[1, "dollar_delta"] == pytest.approx(-2_000 * 50.0 + 500 * 20.0 * 1.1)
    with pytest.raises(ValueError, match="'method'"):
        eng.parametric_var(method="magic")


@given(fill_rows, st.lists(st.tuples(st.integers(0, 2), st.floats(1.0, 300.0)), min_size=1, max_size=10))
def test_marking_to_market_moves_the_scenario_vectors_like_a_recompute(rows, prices):
    eng = make_engine()
    eng.on_fills(frame(rows))
    t0 = len(rows)
    eng.on_prices(pd.DataFrame({"ts": t0 + np.arange(len(prices)), "instrument": [SYMS[i] for i, _ in prices],
                                "price": [p for _, p in prices]}))
    fresh = make_engine()
    fresh._marks[:] = eng._marks
    fresh._state.pos[:] = eng._state.pos
    fresh._rebase()
    np.testing.assert_allclose(eng.book_scenario_pnl, fresh.book_scenario_pnl, rtol=1e-9, atol=1e-6)
    pd.testing.assert_frame_equal(eng.var(), fresh.var(), rtol=1e-9, atol=1e-6)


# ---------------------------------------------------------------- working orders, as in the desk loop
_REPLAY_LIMITS = {"max_position_qty": 3_000, "price_collar_bps": 300.0, "max_order_qty": 5_000,
                  "max_gross_position_qty": 6_000, "client_credit_limit": 4e6, "max_orders_per_second": 3,
                  "duplicate_window_s": 1.0}


@functools.lru_cache(maxsize=2)
def _replay_session(seed):
    """A desk-day (with cancels and resent duplicates) run through run_desk, and its event stream."""
    # no cancel/replace: the engine's stream has no replace (tests/test_replace.py covers the desk loop's)
    cfg = small_config(300, pretrade=_REPLAY_LIMITS, flow={"fat_finger_rate": 0.05, "replace_rate": 0.0})
    rng = np.random.default_rng(seed)
    market = simulate_market(cfg.market, rng)
    orders = generate_orders(cfg.flow, market, rng, first_order_id=1_000)
    orders["ts_cancel"][::3] = orders["ts"][::3] + 30 * 1_000_000_000
    copies = orders[::7].copy()
    copies["ts"] += 1
    copies["ts_cancel"] = -1
    orders = np.concatenate([orders, copies])
    orders = orders[np.argsort(orders["ts"], kind="stable")]
    orders["order_id"] = np.arange(len(orders)) + 1_000
    execs = execute_orders(orders, market, cfg.execution, np.full(market.n_instruments, 100.0))
    close = int(market.trade_date.astype(np.int64)) * NS_PER_DAY + cfg.market.session_close_ns
    state = DeskState.flat(cfg.flow.n_books, market.n_instruments)
    out = run_desk(orders, execs, market, cfg.pretrade, state, close_ts=close, pnl_interval_s=600)
    inst_ccy = market.instruments["currency_id"].to_numpy()
    order_fx = market.fx[inst_ccy[orders["instrument"]], market.step_of(orders["ts"])]
    odf = pd.DataFrame({"ts": orders["ts"], "order_id": orders["order_id"], "book": orders["book"],
                        "instrument": orders["instrument"], "side": orders["side"], "qty": orders["qty"],
                        "limit_price": np.where(orders["order_type"] == 1, orders["limit_price"], np.nan),
                        "ref_price": orders["ref_price"], "client": orders["client"], "trader": orders["trader"],
                        "fx": order_fx})
    fdf = pd.DataFrame({k: out.fills[k] for k in ("ts", "order_id", "book", "instrument", "side", "qty", "price",
                                                  "fee")})
    cancelled = np.flatnonzero(out.orders["status"] == OrderStatus.CANCELLED)
    cdf = pd.DataFrame({"ts": out.orders["ts_done"][cancelled], "order_id": out.orders["order_id"][cancelled]})
    # the desk loop's event order: time, then arrival < fill < cancel, then each stream's own order
    ts = np.concatenate([odf["ts"], fdf["ts"], cdf["ts"]])
    kind = np.repeat([0, 1, 2], [len(odf), len(fdf), len(cdf)])
    ref = np.concatenate([np.arange(len(odf)), np.arange(len(fdf)), np.arange(len(cdf))])
    order_ = np.lexsort((kind, ts))
    return cfg, market, out, state, (odf, fdf, cdf), kind[order_], ref[order_]


@settings(max_examples=4)
@given(seed=st.sampled_from([3, 17]), sizes=st.lists(st.integers(1, 60), min_size=1, max_size=8))
def test_engine_replays_the_desk_loop_with_working_orders(seed, sizes):
    """Orders, fills and cancels of a desk-day through the engine in micro-batches: the same
    decisions (with the same reasons), the same positions, and the day orders expire at the close."""
    cfg, market, out, state, frames, kind, ref = _replay_session(seed)
    eng = RiskEngine(market.instruments, marks=market.mid[:, 0], scenarios=np.zeros((market.n_instruments, 10)),
                     n_books=cfg.flow.n_books, n_clients=int(out.orders["client"].max()) + 1,
                     n_traders=int(out.orders["trader"].max()) + 1, pretrade=cfg.pretrade,
                     fx={c: float(market.fx[k, 0]) for k, c in enumerate(market.currencies)})
    methods = (eng.check_orders, eng.on_fills, eng.on_cancels)
    reasons = [np.full(len(f), -1) for f in frames]
    cut = itertools.cycle(sizes)
    e = 0
    while e < len(kind):  # a batch: consecutive events of one kind, at most the next size
        k = kind[e]
        stop = e + 1
        limit = e + next(cut)
        while stop < min(limit, len(kind)) and kind[stop] == k:
            stop += 1
        rows = ref[e:stop]
        res = methods[k](frames[k].iloc[rows])
        reasons[k][rows] = [RejectReason[r] for r in res["reason"].astype(str)]
        e = stop
    np.testing.assert_array_equal(reasons[0], out.orders["reject_reason"])
    assert (reasons[1] == 0).all() and (reasons[2] == 0).all()
    assert (out.orders["reject_reason"] != 0).sum() > 0 and len(frames[2]) > 0  # the replay saw rejects and cancels
    np.testing.assert_array_equal(eng._state.pos, state.pos)
    np.testing.assert_allclose(eng._state.realized, state.realized, rtol=1e-12)
    assert eng.expire_orders() == (out.orders["status"] == OrderStatus.EXPIRED).sum()
    wb, ws = eng.working_qty
    assert not wb.any() and not ws.any()


def test_working_orders_count_in_the_limits_until_filled_cancelled_or_expired():
    eng = make_engine(pretrade=PreTradeConfig(max_position_qty=100, max_gross_position_qty=150,
                                              duplicate_window_s=0.0))

    def order(ts, oid, side, qty):
        return eng.check_orders(pd.DataFrame({"ts": [ts], "order_id": [oid], "book": [0], "instrument": ["AAA"],
                                              "side": [side], "qty": [qty], "ref_price": [100.0]}))["reason"][0]

    assert order(1, "a", 1, 80) == "NONE"
    assert order(2, "b", 1, 30) == "MAX_POSITION"  # 80 working + 30 > 100
    assert order(3, "c", -1, 80) == "MAX_GROSS_POSITION"  # 80 + 80 > 150 gross
    assert order(4, "a", -1, 5) == "DUPLICATE_ORDER"  # a reused order id
    fill = eng.on_fills(pd.DataFrame({"ts": [5, 6, 7, 8], "order_id": ["a", "zz", "a", None], "book": 0,
                                      "instrument": "AAA", "side": [1, 1, 1, -1], "qty": [50, 1, 31, 10],
                                      "price": 100.0}))
    assert fill["reason"].astype(str).tolist() == ["NONE", "UNKNOWN_ORDER", "INVALID_QTY", "NONE"]
    assert eng.working_orders()["leaves_qty"].tolist() == [30]
    assert order(9, "d", 1, 60) == "MAX_POSITION"  # 40 held + 30 working + 60 > 100
    assert eng.on_cancels(pd.DataFrame({"ts": [10, 11], "order_id": ["a", "a"]}))["reason"].astype(str).tolist() \
        == ["NONE", "UNKNOWN_ORDER"]
    assert order(12, "e", 1, 60) == "NONE"  # the cancel released 'a''s working 30
    assert eng.on_fills(pd.DataFrame({"ts": [13], "order_id": ["e"], "book": 1, "instrument": "AAA", "side": 1,
                                      "qty": 1, "price": 100.0}))["reason"][0] == "UNKNOWN_ORDER"  # wrong book
    eng.new_session()  # 'e' expires
    assert eng.working_orders().empty
    assert order(14, "f", 1, 60) == "NONE"
