"""Contract multipliers (options of 100 units): cash is qty x price x multiplier all through the back office."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

import tradeflow
from tests.back.test_run_properties import FAULT_FIELDS, check_conservation, check_status_history, score
from tests.conftest import small_config
from tests.test_invariants import check_invariants
from tradeflow.back import book_fills, reconcile
from tradeflow.back.explain import OptionTerms, black_scholes_greeks
from tradeflow.back.settlement import to_minor
from tradeflow.schema import FILL_DT, AccountKind, TxnType

OPTIONS = [{"symbol": "AAPL_C230", "underlying": "AAPL", "strike": 230.0, "expiry": "2026-12-18",
            "multiplier": 100.0},
           {"symbol": "SAP_P220", "underlying": "SAP", "strike": 220.0, "expiry": "2027-03-19", "kind": "put",
            "multiplier": 100.0, "volatility": 0.3}]


def option_config(orders=1_500, days=3, **overrides):
    market = {"options": OPTIONS}
    return small_config(orders, days=days, market=market, **overrides)


@pytest.fixture(scope="module")
def option_run():
    return tradeflow.simulate(option_config(), seed=3)


def test_clean_multi_day_run_with_options_has_no_breaks_and_conserves(option_run):
    r = option_run
    mult = r.instruments["multiplier"].to_numpy(np.float64)
    assert mult.max() == 100.0
    fills = r.records["fills"]
    assert (mult[fills["instrument"]] == 100.0).sum() > 20  # options did trade
    assert len(r.records["breaks"]) == 0, r.breaks
    check_invariants(r)
    check_conservation(r)
    check_status_history(r)


def test_settlement_and_ledger_cash_is_qty_price_multiplier(option_run):
    r = option_run
    fills, ins, led = r.records["fills"], r.records["settlements"], r.records["ledger"]
    mult = r.instruments["multiplier"].to_numpy(np.float64)
    scale = 10.0 ** np.array([r.config.back.minor_units[c] for c in r.market.currencies])
    inst_scale = scale[r.instruments["currency_id"].to_numpy()]
    # by hand: the cash leg in minor units
    i = fills["instrument"]
    expected = np.array([int(round(q * p * m * s)) for q, p, m, s in zip(
        fills["qty"], fills["price"], mult[i], inst_scale[i], strict=True)], np.int64)
    pos = np.searchsorted(fills["fill_id"], ins["fill_id"])
    np.testing.assert_array_equal(ins["cash_amount"], fills["side"][pos].astype(np.int64) * expected[pos])
    # the trade-date principal posted to the book's cash (fees are a separate posting of the same transaction)
    trade = led[(led["txn_type"] == TxnType.TRADE) & (led["account_kind"] == AccountKind.CPTY_CASH)]
    fpos = np.searchsorted(fills["fill_id"], trade["fill_id"])
    np.testing.assert_array_equal(trade["amount"], fills["side"][fpos].astype(np.int64) * expected[fpos])
    # what settled moved that cash through the nostro: statements agree (checked in check_conservation)
    ob = r.records["obligations"]
    done = ob["status"] == 1
    assert done.any()
    settled_opt = done & (mult[ob["instrument"]] == 100.0)
    assert settled_opt.any()
    np.testing.assert_array_equal(ob["settled_cash"][done], ob["cash"][done])


def test_explain_residual_is_small_for_options_and_zero_for_linear(option_run):
    ex = option_run.records["explain"]
    greeks = np.abs(ex["option_delta_pnl"]) + np.abs(ex["option_gamma_pnl"]) + np.abs(ex["option_theta_pnl"])
    assert greeks.sum() > 0
    # what the Taylor terms leave (higher order, the option's one-tick floor) is small beside them
    assert (np.abs(ex["residual"]) <= 0.1 * greeks + 1e-6).all(), ex[["residual"]]
    parts = ex["new_trade_pnl"] + ex["market_move_pnl"] + ex["fees"] + ex["penalties"] + ex["fx_translation"]
    np.testing.assert_allclose(parts + ex["residual"], ex["total_pnl"], rtol=0, atol=1e-6)
    # the same run without options: linear instruments leave float noise only
    lin = tradeflow.simulate(small_config(1_500, days=3), seed=3).records["explain"]
    assert np.abs(lin["residual"]).max() < 1e-6
    assert (lin["option_delta_pnl"] == 0).all()


@given(s=st.floats(50, 150), moneyness=st.floats(0.8, 1.2), t=st.floats(0.02, 2.0), vol=st.floats(0.1, 0.8),
       call=st.booleans())
def test_black_scholes_greeks_match_the_closed_form(s, moneyness, t, vol, call):
    k = s * moneyness
    d1 = (np.log(s / k) + 0.5 * vol**2 * t) / (vol * np.sqrt(t))
    delta, gamma, vega, theta = black_scholes_greeks(np.array(s), np.array(k), np.array(t), np.array(vol),
                                                     np.array(call))
    assert float(delta) == pytest.approx(norm.cdf(d1) - (0 if call else 1), abs=1e-12)
    assert float(gamma) == pytest.approx(norm.pdf(d1) / (s * vol * np.sqrt(t)), rel=1e-10)
    assert float(vega) == pytest.approx(s * norm.pdf(d1) * np.sqrt(t), rel=1e-10)
    assert float(theta) == pytest.approx(-s * norm.pdf(d1) * vol / (2 * np.sqrt(t)), rel=1e-10)
    # and against finite differences of the market's own pricer
    from tradeflow.market.options import black_scholes
    h = 1e-4 * s
    fd = (black_scholes(np.array(s + h), k, np.array(t), vol, call) - black_scholes(np.array(s - h), k, np.array(t),
                                                                                   vol, call)) / (2 * h)
    assert float(delta) == pytest.approx(float(fd), abs=1e-6)


def test_option_terms_explain_a_day_of_an_option():
    import pandas as pd

    from tradeflow.market.options import black_scholes
    table = pd.DataFrame({"asset_class": ["equity", "option"], "underlying": [-1, 0], "strike": [np.nan, 100.0],
                          "volatility": [0.25, 0.3], "call_put": ["", "C"], "expiry": [-1, 20_300]})
    day = 86_400 * 10**9
    close0 = 20_000 * day
    terms = OptionTerms.from_table(table, prev_close_ns=close0, close_ns=close0 + day, session_close_ns=0)
    t0 = 300 / 365
    p0 = float(black_scholes(np.array(100.0), 100.0, np.array(t0), 0.3, True))
    p1 = float(black_scholes(np.array(101.0), 100.0, np.array(t0 - 1 / 365), 0.3, True))
    parts = terms.unit_explain(np.array([100.0, p0]), np.array([101.0, p1]))
    explained = sum(parts[k] for k in parts)
    assert float(explained[0]) == pytest.approx(p1 - p0, rel=2e-3)  # the Taylor terms miss higher orders only
    assert float(explained[0]) != p1 - p0


def test_ledger_and_reconcile_take_the_multiplier():
    f = np.zeros(2, dtype=FILL_DT)
    f["fill_id"], f["book"], f["instrument"], f["side"], f["qty"], f["price"], f["fee"] = \
        [0, 1], [0, 0], [0, 1], [1, -1], [3, 5], [2.5, 10.0], [0.5, 0.0]
    ccy, scale = np.array([0, 0]), np.array([100.0, 100.0])
    led = book_fills(f, ccy, scale, multiplier=np.array([1.0, 100.0]))
    cash = led[(led["account_kind"] == AccountKind.CASH)]
    np.testing.assert_array_equal(cash["amount"], [-750, -50, 500_000])  # 3 x 2.50, the fee, 5 x 10 x 100
    with pytest.raises(ValueError, match="multiplier"):
        book_fills(f, ccy, scale, multiplier=np.array([1.0, 0.0]))
    pos = np.zeros(2, dtype=tradeflow.schema.POSITION_DT)
    pos["book"], pos["instrument"], pos["qty"] = 0, [0, 1], [3, -5]
    marks = np.array([2.5, 10.0])
    pos["fees"] = [0.5, 0.0]
    ins = np.zeros(2, dtype=tradeflow.schema.SETTLEMENT_DT)
    ins["fill_id"] = [0, 1]
    args = dict(n_books=1, instrument_ccy=ccy, minor_scale_ccy=np.array([100.0]), marks=marks)
    assert len(reconcile(f, pos, led, ins, multiplier=np.array([1.0, 100.0]), **args)) == 0
    # without the multiplier the option's cash is 100 times off: the P&L would not reconcile
    pos["realized_pnl"] = [0.0, 1.0]
    assert len(reconcile(f, pos, led, ins, multiplier=np.array([1.0, 100.0]), **args)) == 1
    with pytest.raises(ValueError, match="multiplier"):
        reconcile(f, pos, led, ins, multiplier=np.array([1.0]), **args)
    assert to_minor(np.array([0.125]), np.array([100.0]))[0] in (12, 13)


@settings(max_examples=6)
@given(seed=st.integers(0, 2**31 - 1), rate=st.sampled_from([0.01, 0.05]),
       netting=st.sampled_from(["gross", "net_cash", "net_all"]))
def test_faults_are_found_with_options(seed, rate, netting):
    cfg = option_config(400, days=2, faults={f: rate for f in FAULT_FIELDS}, settlement={"netting": netting},
                        flow={"n_books": 3, "n_traders": 4})
    r = tradeflow.simulate(cfg, seed=seed)
    assert (r.instruments["multiplier"].to_numpy()[r.records["fills"]["instrument"]] == 100).any()
    precision, recall, found, injected = score(r)
    assert injected
    assert precision == 1.0, sorted(found - injected)[:5]
    assert recall == 1.0, sorted(injected - found)[:5]
