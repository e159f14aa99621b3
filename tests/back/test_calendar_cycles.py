"""Settlement cycles with effective dates, FX spot dates, and settlement dates in runs."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tradeflow
from tests.conftest import small_config
from tradeflow.config import SettlementConfig
from tradeflow.market.calendar import (
    BusinessCalendar,
    SettlementCalendar,
    SettlementCycles,
    fx_spot_date,
    settlement_dates,
)

HOL = {"USD": ["2026-11-26", "2026-12-25", "2027-01-01"], "EUR": ["2026-12-25", "2026-12-26", "2027-01-01"],
       "CAD": ["2026-11-11", "2026-12-25", "2026-12-28"]}


@pytest.mark.parametrize(("trade_date", "expected"), [
    ("2027-10-07", "2027-10-11"),  # Thursday, T+2 (the old cycle): Monday
    ("2027-10-08", "2027-10-12"),  # Friday, still T+2
    ("2027-10-11", "2027-10-12"),  # Monday, the first T+1 trade date
    ("2027-10-12", "2027-10-13"),
])
def test_eu_moves_from_t2_to_t1_on_its_effective_date(trade_date, expected):
    cal = BusinessCalendar(HOL)
    cycles = SettlementCycles(SettlementConfig().cycles)
    assert str(settlement_dates(cal, cycles, trade_date, "EUR", 2)[0]) == expected


def test_us_moved_to_t1_in_may_2024():
    cal = BusinessCalendar({"USD": ["2024-05-27"]})  # Memorial Day
    cycles = SettlementCycles({"USD": [("2024-05-28", 1)]})
    # before the change the default (T+2) lag applies
    assert str(settlement_dates(cal, cycles, "2024-05-24", "USD", 2)[0]) == "2024-05-29"
    assert str(settlement_dates(cal, cycles, "2024-05-28", "USD", 2)[0]) == "2024-05-29"


def test_several_changes_take_the_latest_effective_one():
    cycles = SettlementCycles({"XXX": [("2020-01-01", 3), ("2021-01-01", 2), ("2022-01-01", 1)]})
    lags = cycles.lag("XXX", ["2019-12-31", "2020-06-01", "2021-01-01", "2030-01-01"], default=5)
    assert lags.tolist() == [5, 3, 2, 1]
    assert cycles.lag("YYY", ["2020-06-01"], default=4).tolist() == [4]


@pytest.mark.parametrize(("pair", "trade_date", "expected"), [
    ("EURUSD", "2026-11-24", "2026-11-27"),  # T+2 would be US Thanksgiving: the next day open in both
    ("EURUSD", "2026-12-23", "2026-12-28"),  # 24 (Thu) is T+1, then 25 closed and the weekend: 28
    ("USDCAD", "2026-11-10", "2026-11-12"),  # T+1, but Remembrance Day closes CAD
    ("USDCAD", "2026-11-24", "2026-11-25"),
    # a USD holiday on the first day of the spot period does not count (market convention): T+1 is
    # Thanksgiving (EUR open), T+2 (Friday) is open in both
    ("USDEUR", "2026-11-25", "2026-11-27"),
])
def test_fx_spot_dates_count_both_currencies(pair, trade_date, expected):
    assert str(fx_spot_date(BusinessCalendar(HOL), pair, trade_date)[0]) == expected


def test_fx_spot_rejects_bad_pairs():
    with pytest.raises(ValueError, match="'pair'"):
        fx_spot_date(BusinessCalendar(HOL), "EUREUR", "2026-11-24")


@given(start=st.dates(min_value=np.datetime64("2026-01-01").astype(object),
                      max_value=np.datetime64("2028-12-31").astype(object)),
       lag=st.integers(0, 4), ccy=st.sampled_from(["USD", "EUR", "CAD"]))
def test_settlement_dates_are_business_days_the_lag_after(start, lag, ccy):
    cal = BusinessCalendar(HOL)
    td = cal.business_days(np.datetime64(start, "D"), 1, [ccy])[0]
    sd = settlement_dates(cal, SettlementCycles({}), td, ccy, lag)[0]
    assert cal.is_business_day([sd], [ccy]).all()
    # exactly ``lag`` business days strictly after the trade date, up to and including sd
    assert np.busday_count(td + 1, sd + 1, holidays=cal.holidays([ccy])) == lag


def test_run_across_the_eu_cycle_change_settles_on_business_days():
    cfg = small_config(600, days=4, market={"trade_date": "2027-10-07"},
                       settlement={"fail_rates": {}, "default_fail_rate": 0.0})
    r = tradeflow.simulate(cfg, seed=2)
    s = r.records["settlements"]
    eur = r.market.currencies.index("EUR")
    td = s["trade_date"].astype("datetime64[D]")
    cal = SettlementCalendar(r.market.currencies, extra=cfg.market.holidays)
    for cid, ccy in enumerate(r.market.currencies):
        m = s["currency"] == cid
        assert cal.is_business_day(s["settle_date"][m].astype("datetime64[D]"), [ccy]).all()
    lag = np.busday_count(td + 1, s["settle_date"].astype("datetime64[D]") + 1, holidays=cal.holidays(["EUR"]))
    m = s["currency"] == eur
    assert set(lag[m & (td < np.datetime64("2027-10-11"))].tolist()) == {2}
    assert set(lag[m & (td >= np.datetime64("2027-10-11"))].tolist()) == {1}
