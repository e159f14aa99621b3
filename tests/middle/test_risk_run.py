"""Risk inside simulate(): risk snapshots, limit breaches and their actions, FIFO, kill switch, summary."""

import numpy as np
import pandas as pd
import pytest

import tradeflow
from tests.conftest import small_config
from tradeflow.config import LimitsConfig, RiskConfig, SimulationConfig
from tradeflow.front import execute_orders, generate_orders
from tradeflow.market import simulate_market
from tradeflow.middle import DeskState, run_desk
from tradeflow.schema import NS_PER_DAY, BreachLevel, OrderOrigin, OrderStatus, RejectReason


def test_risk_rows_per_snapshot_and_desk_aggregates(small_run):
    r = small_run
    risk = r.records["risk"]
    pnl = r.records["pnl"]
    n_books = r.config.flow.n_books
    snaps = np.unique(pnl["ts"])
    assert len(risk) == len(snaps) * (n_books + 1)
    for ts in snaps[:: max(len(snaps) // 5, 1)]:
        rows = risk[risk["ts"] == ts]
        books, desk = rows[rows["book"] >= 0], rows[rows["book"] == -1][0]
        assert desk["gross_exposure"] == pytest.approx(books["gross_exposure"].sum())
        assert desk["total_pnl"] == pytest.approx(pnl[pnl["ts"] == ts]["total_pnl"].sum())
        assert (rows["drawdown"] >= 0).all() and ((rows["concentration"] >= 0) & (rows["concentration"] <= 1)).all()
    assert np.allclose(risk["var_10d"], risk["var_1d"] * np.sqrt(r.config.risk.horizon_days))
    frame = r.risk
    assert isinstance(frame.index, pd.DatetimeIndex) and str(frame.index.tz) == "UTC"
    assert set(frame["trading_state"].cat.categories) == {"ACTIVE", "REDUCING_ONLY", "HALTED"}


def test_var_limit_breach_switches_books_to_reducing_only():
    cfg = small_config(3_000, limits={"book_var": 50_000.0, "desk_var": 0.0, "book_gross_exposure": 0.0,
                                      "desk_gross_exposure": 0.0, "book_concentration": 0.0})
    r = tradeflow.simulate(cfg, seed=2)
    b = r.records["breaches"]
    assert len(b) > 0 and (b["limit"] == 0).all()
    breached = b[b["level"] == BreachLevel.BREACH]
    assert len(breached) > 0 and (breached["action"] == 1).all()
    # every REDUCING_ONLY reject comes after its book's first breach, and the book did get such rejects
    orders = r.records["orders"]
    ro = orders[orders["reject_reason"] == RejectReason.REDUCING_ONLY]
    assert len(ro) > 0
    first = {int(bk): int(breached["ts"][breached["book"] == bk].min()) for bk in np.unique(breached["book"])}
    assert all(int(o["ts"]) >= first[int(o["book"])] for o in ro)
    # a breach event records value >= threshold, a warning value >= warning level
    assert (breached["value"] >= breached["threshold"]).all()
    warn = b[b["level"] == BreachLevel.WARNING]
    assert (warn["value"] >= cfg.limits.warning_fraction * warn["threshold"]).all()
    assert "Limit warnings and breaches" in r.summary() and "REDUCING_ONLY" in r.summary()
    assert r.breaches["action"].astype(str).isin(["", "REDUCING_ONLY"]).all()


def test_fifo_changes_the_split_not_the_total():
    a = tradeflow.simulate(small_config(3_000), seed=4)
    b = tradeflow.simulate(small_config(3_000, risk={"pnl_method": "fifo"}), seed=4)
    pa, pb = a.positions.set_index(["book", "instrument"]), b.positions.set_index(["book", "instrument"])
    np.testing.assert_array_equal(pa["qty"], pb["qty"])
    np.testing.assert_allclose(pa["total_pnl"], pb["total_pnl"], rtol=1e-9, atol=1e-5)
    assert not np.allclose(pa["realized_pnl"], pb["realized_pnl"])
    assert len(b.breaks) == 0


def test_kill_switch_rejects_everything():
    cfg = small_config(300)
    rng = np.random.default_rng(0)
    market = simulate_market(cfg.market, rng)
    orders = generate_orders(cfg.flow, market, rng, first_order_id=0)
    execs = execute_orders(orders, market, cfg.execution, np.full(market.n_instruments, 100.0))
    state = DeskState.flat(cfg.flow.n_books, market.n_instruments)
    state.kill_switch = True
    close = int(market.trade_date.astype(np.int64)) * NS_PER_DAY + cfg.market.session_close_ns
    out = run_desk(orders, execs, market, cfg.pretrade, state, close_ts=close, pnl_interval_s=600)
    assert (out.orders["status"] == OrderStatus.REJECTED).all()
    # the kill switch refuses every order, a cancel/replace too: the market-access controls come first
    assert (out.orders["origin"] == OrderOrigin.REPLACE).any()
    assert (out.orders["reject_reason"] == RejectReason.KILL_SWITCH).all()
    assert len(out.fills) == 0


def test_risk_and_limits_configs_validate():
    with pytest.raises(ValueError, match="'var_level' parameter of RiskConfig"):
        RiskConfig(var_level=1.5)
    with pytest.raises(ValueError, match="'pnl_method' parameter of RiskConfig"):
        RiskConfig(pnl_method="lifo")
    with pytest.raises(ValueError, match="'breach_action' parameter of LimitsConfig"):
        LimitsConfig(breach_action="panic")
    with pytest.raises(ValueError, match="'book_concentration'"):
        LimitsConfig(book_concentration=2.0)
    with pytest.raises(ValueError, match="Unknown key"):
        SimulationConfig.from_dict({"risk": {"n_scenario": 10}})
    cfg = SimulationConfig.from_dict({"risk": {"n_scenarios": 250}, "limits": {"book_var": 1}})
    assert cfg.risk.n_scenarios == 250 and cfg.limits.book_var == 1.0
    assert SimulationConfig.from_dict(cfg.to_dict()) == cfg


def test_var_backtest_over_a_multi_day_run():
    r = tradeflow.simulate(small_config(1_000, days=4), seed=9)
    bt = r.var_backtest()
    risk = r.records["risk"]
    desk = risk[risk["book"] == -1]
    closes = [desk[desk["ts"] // NS_PER_DAY == int(d.astype(np.int64))][-1] for d in r.trade_dates]
    pnl = np.diff([c["total_pnl"] for c in closes])
    var = np.array([c["var_1d"] for c in closes[:-1]])
    assert bt.n_days == 3 and bt.exceptions == int((-pnl > var).sum())
    assert "VaR backtest (desk, 3 days)" in r.summary()
    assert r.var_backtest(book=0).n_days == 3
    with pytest.raises(ValueError, match="two days"):
        tradeflow.simulate(small_config(200), seed=1).var_backtest()


def test_positions_and_pnl_snapshots_count_the_contract_multiplier():
    from tradeflow.middle import nb as k
    from tradeflow.schema import PNL_DT
    state = DeskState.flat(1, 2)
    k.apply_fill_nb(state.pos, state.avg, state.realized, state.fees, state.n_fills, 0, 1, 1, 3, 5.0, 0.0)
    k.apply_fill_nb(state.pos, state.avg, state.realized, state.fees, state.n_fills, 0, 1, -1, 1, 6.0, 0.0)
    pos = state.positions(np.array([10.0, 7.0]), 0, np.array([1.0, 100.0]))
    assert pos["realized_pnl"][1] == pytest.approx(100.0) and pos["unrealized_pnl"][1] == pytest.approx(400.0)
    out = np.zeros(1, PNL_DT)
    k.pnl_snapshot_nb(out, 0, 0, 0, state.pos, state.avg, state.realized, state.fees, np.zeros(2, np.int64),
                   np.array([[10.0], [7.0]]), np.ones((1, 1)), np.array([1.0, 100.0]))
    assert out["total_pnl"][0] == pytest.approx(500.0) and out["gross_exposure"][0] == pytest.approx(1_400.0)


def test_a_limit_still_breached_next_morning_fires_again():
    cfg = small_config(2_000, days=2, limits={"book_var": 3_000.0, "desk_var": 0.0, "book_gross_exposure": 0.0,
                                              "desk_gross_exposure": 0.0, "book_concentration": 0.0,
                                              "breach_action": "none"})
    r = tradeflow.simulate(cfg, seed=5)
    b = r.records["breaches"]
    day = b["ts"] // NS_PER_DAY
    days = [int(d.astype(np.int64)) for d in r.trade_dates]
    ended_in_breach = set()
    for bk in np.unique(b["book"]):
        mine = b[(b["book"] == bk) & (day == days[0])]
        if len(mine) and mine["level"][-1] == BreachLevel.BREACH:
            ended_in_breach.add(int(bk))
    assert ended_in_breach, "the limit is tight enough that some book ends day 1 in breach"
    for bk in ended_in_breach:
        again = b[(b["book"] == bk) & (day == days[1]) & (b["level"] == BreachLevel.BREACH)]
        assert len(again) >= 1 and (again["action"] == -1).all()  # breach_action "none": nothing switched


@pytest.mark.parametrize("window", ["run", "day"])
def test_drawdown_window_sets_where_the_peak_starts(window):
    """Yesterday's high-water mark far above today's P&L: a drawdown over the run breaches at the
    open; a daily stop-loss starts from today's open and does not."""
    from tradeflow.middle import RiskSetup
    from tradeflow.schema import EXECUTION_DT, LimitKind

    cfg = small_config(300, limits={"book_drawdown": 1e6, "desk_drawdown": 0.0, "drawdown_window": window})
    rng = np.random.default_rng(0)
    market = simulate_market(cfg.market, rng)
    orders = generate_orders(cfg.flow, market, rng, first_order_id=0)[:0]
    state = DeskState.flat(cfg.flow.n_books, market.n_instruments)
    state.peak[:] = 5e6
    risk = RiskSetup.from_market(market, np.zeros((market.n_instruments, 20)), cfg.risk, cfg.limits)
    close = int(market.trade_date.astype(np.int64)) * NS_PER_DAY + cfg.market.session_close_ns
    out = run_desk(orders, np.zeros(0, EXECUTION_DT), market, cfg.pretrade, state, close_ts=close,
                   pnl_interval_s=600, risk=risk)
    dd = out.breaches[(out.breaches["limit"] == LimitKind.DRAWDOWN) & (out.breaches["level"] == BreachLevel.BREACH)]
    if window == "run":
        assert len(dd) == cfg.flow.n_books and (dd["value"] == 5e6).all()
        assert (out.risk["drawdown"][out.risk["book"] >= 0] == 5e6).all()
    else:
        assert len(dd) == 0 and (out.risk["drawdown"] == 0).all() and (state.peak == 0).all()


def test_drawdown_window_validates():
    with pytest.raises(ValueError, match="'drawdown_window' parameter of LimitsConfig"):
        LimitsConfig(drawdown_window="week")
