"""Runs on the real clock: fills inside their venue's session, settlement on each CSD's days.

References from other hands: sessions from ``exchange_calendars``' schedules read directly,
settlement days from QuantLib's calendars, fail days recomputed with pandas from the events.
"""

import numpy as np
import pandas as pd
import pytest

import tradeflow
from tests.conftest import small_config
from tests.test_invariants import check_invariants
from tradeflow.schema import SettlementStatus

ql = pytest.importorskip("QuantLib")
xcals = pytest.importorskip("exchange_calendars")

QL_CAL = {"USD": ql.UnitedStates(ql.UnitedStates.FederalReserve), "EUR": ql.TARGET()}


def _ql_open(ccy: str, days) -> np.ndarray:
    cal = QL_CAL[ccy]
    out = []
    for d in np.asarray(days, dtype="datetime64[D]").astype(object):
        out.append(cal.isBusinessDay(ql.Date(d.day, d.month, d.year)))
    return np.array(out, bool)


# (first day, days): a US-only holiday (4 July, with the 3 July half-day), Columbus Day (NYSE open, Fed closed:
# USD fails of 11 October age 2 days on the 15th),
# a TARGET-only holiday (1 May: EU venues and T2S closed, NYSE and the Fed open; EUR fails of 30 April age 2
# days on 2 May), the US DST change
# (7 -> 10 March 2025) and Easter 2025 (Good Friday: venues closed, the Fed open)
RUNS = [("2024-07-03", 3), ("2024-10-10", 4), ("2025-04-28", 5), ("2025-03-07", 2), ("2025-04-17", 3)]


@pytest.fixture(scope="module", params=RUNS, ids=[r[0] for r in RUNS])
def run(request):
    start, days = request.param
    cfg = small_config(400, days=days, market={"trade_date": start, "venue_sessions": True},
                       settlement={"fail_rates": {"USD": 0.3, "EUR": 0.3}})
    return tradeflow.simulate(cfg, seed=3)


def test_invariants_hold(run):
    check_invariants(run)
    assert len(run.breaks) == 0


def test_no_fill_outside_its_venue_session(run):
    f = run.records["fills"]
    assert len(f) > 0
    mic = run.instruments["mic"].to_numpy()[f["instrument"]]
    day = (f["ts"] // 86_400_000_000_000).astype("datetime64[D]")
    for m in np.unique(mic):
        sched = xcals.get_calendar(m).schedule
        opens = pd.Series(pd.DatetimeIndex(sched["open"]).asi8, index=sched.index.values.astype("datetime64[D]"))
        closes = pd.Series(pd.DatetimeIndex(sched["close"]).asi8, index=opens.index)
        k = mic == m
        d = pd.Index(day[k])
        assert d.isin(opens.index).all(), f"{m} filled on a holiday: {sorted(set(d[~d.isin(opens.index)]))}"
        assert (f["ts"][k] >= opens.loc[d].to_numpy()).all() and (f["ts"][k] < closes.loc[d].to_numpy()).all()


def test_nothing_settles_or_fails_on_its_csd_holiday(run):
    ccys = run.market.currencies
    s = run.records["settlements"]
    for cid, ccy in enumerate(ccys):
        m = s["currency"] == cid
        assert _ql_open(ccy, s["settle_date"][m].astype("datetime64[D]")).all()
        done = m & (s["settled_date"] >= 0)
        assert _ql_open(ccy, s["settled_date"][done].astype("datetime64[D]")).all()
    ev = run.records["settlement_events"]
    ob = run.records["obligations"]
    ccy_of_event = ob["currency"][ev["obligation_id"] - ob["obligation_id"][0]]
    for cid, ccy in enumerate(ccys):
        m = ccy_of_event == cid
        assert _ql_open(ccy, ev["as_of"][m].astype("datetime64[D]")).all()


def test_fail_days_and_penalties_count_csd_days_only(run):
    ev = pd.DataFrame({k: run.records["settlement_events"][k] for k in ("as_of", "obligation_id", "status",
                                                                          "fail_days", "penalty")})
    ob = run.records["obligations"]
    ev["ccy"] = np.array(run.market.currencies)[ob["currency"][ev["obligation_id"] - ob["obligation_id"][0]]]
    ev["settle_date"] = ob["settle_date"][ev["obligation_id"] - ob["obligation_id"][0]]
    # events that fail (in whole or in part) that day carry the fail's age in days
    failing = ev[ev["status"].isin([SettlementStatus.FAILED, SettlementStatus.PARTIALLY_SETTLED])]
    if failing.empty:
        pytest.skip("no fails in this run")
    # the age of a fail is the number of the CSD's business days from the settlement date to the day
    for (ccy,), g in failing.groupby(["ccy"]):
        hol = [d for d in np.arange(np.datetime64("2024-01-01"), np.datetime64("2026-01-01"))
               if not _ql_open(ccy, [d])[0] and np.is_busday(d)]
        expect = np.busday_count(g["settle_date"].to_numpy().astype("datetime64[D]"),
                                 g["as_of"].to_numpy().astype("datetime64[D]") + 1, holidays=hol)
        np.testing.assert_array_equal(g["fail_days"].to_numpy(), expect)
    assert _ql_open("EUR", ev["as_of"][(ev["penalty"] != 0) & (ev["ccy"] == "EUR")].to_numpy()
                    .astype("datetime64[D]")).all()


def test_run_days_union_trading_and_settlement_days():
    r_days = {"2025-04-17": ["2025-04-17", "2025-04-18", "2025-04-21"],  # Good Friday: Fed open, no venue trades
              "2025-04-30": ["2025-04-30", "2025-05-01", "2025-05-02"]}
    from tradeflow.market.clock import SettlementCalendar
    from tradeflow.sim import _run_days
    for start, exp in r_days.items():
        cfg = small_config(10, days=3, market={"trade_date": start, "venue_sessions": True})
        days, _ = _run_days(cfg, SettlementCalendar(cfg.market.currencies))
        assert [str(d) for d in days] == exp


def test_break_ages_count_each_markets_csd_days():
    """A keyed-wrong price is a break that stays open; across 1 May 2025 (TARGET closed, the Fed open) an EUR
    break ages one CSD day less than a USD break seen on the same days. Ages recounted with QuantLib."""
    cfg = small_config(600, days=4, market={"trade_date": "2025-04-29"}, faults={"price_keyed_wrong": 0.05})
    r = tradeflow.simulate(cfg, seed=5)
    b = r.records["breaks"]
    assert len(b) > 0
    inst_ccy = r.market.instruments["currency_id"].to_numpy()
    cid = np.where(b["currency"] >= 0, b["currency"], inst_ccy[np.maximum(b["instrument"], 0)])
    ccy = np.array(r.market.currencies)[cid]
    first = b["first_seen"].astype("datetime64[D]")
    as_of = b["as_of"].astype("datetime64[D]")
    expect = np.array([_ql_open(c, np.arange(f, a)).sum() for c, f, a in zip(ccy, first, as_of, strict=True)])
    np.testing.assert_array_equal(b["age_days"], expect)
    # the control: breaks of both markets open from 30 April to 2 May, aged 1 (EUR) and 2 (USD) CSD days
    span = (first == np.datetime64("2025-04-30")) & (as_of == np.datetime64("2025-05-02"))
    assert set(b["age_days"][span & (ccy == "EUR")]) == {1} and set(b["age_days"][span & (ccy == "USD")]) == {2}
