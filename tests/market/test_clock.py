"""The trading clock against references from other hands.

Settlement calendars and FX value dates are checked against QuantLib's calendars (a test-only
dependency: the clock itself reads the ``holidays`` package), venue sessions against hard-coded
published facts (NYSE half-days, the US/EU daylight-saving weeks, Good Friday / Easter Monday).
"""

import datetime as dt

import numpy as np
import pytest

from tradeflow.market.clock import (
    DEFAULT_CYCLES,
    HORIZON,
    SettlementCalendar,
    SettlementCycles,
    fx_spot_date,
    settlement_dates,
    settlement_holidays,
    spot_lag,
    venue_sessions,
)

ql = pytest.importorskip("QuantLib")

QL_CAL = {
    "USD": lambda: ql.UnitedStates(ql.UnitedStates.FederalReserve),  # DTC settles on Fedwire days
    "EUR": lambda: ql.TARGET(),
    "GBP": lambda: ql.UnitedKingdom(ql.UnitedKingdom.Settlement),
    "CHF": lambda: ql.Switzerland(),
    "CAD": lambda: ql.Canada(ql.Canada.Settlement),
    "JPY": lambda: ql.Japan(),
}


def _qd(d) -> "ql.Date":
    d = np.datetime64(d, "D").astype(object)
    return ql.Date(d.day, d.month, d.year)


def _py(q) -> np.datetime64:
    return np.datetime64(dt.date(q.year(), q.month(), q.dayOfMonth()), "D")


# The cycle history, written here from the rule texts (SEC 15c6-1, CSDR art. 5, the UK/EU/CH T+1 plans)
def _cycle(ccy: str, td: np.datetime64) -> int:
    if ccy == "USD":
        return 2 if td < np.datetime64("2024-05-28") else 1
    if ccy == "CAD":
        return 2 if td < np.datetime64("2024-05-27") else 1
    if ccy in ("EUR", "GBP", "CHF"):
        return 2 if td <= np.datetime64("2027-10-08") else 1
    return 2


def _ql_settle(ccy: str, td) -> np.datetime64:
    cal = QL_CAL[ccy]()
    start = cal.adjust(_qd(td), ql.Following)  # a trade dated on a closed day counts from the next open day
    return _py(cal.advance(start, _cycle(ccy, np.datetime64(td, "D")), ql.Days))


# Trade dates around holidays, NYSE half-days, DST changes and both cycle switches
DATES = {
    "USD": ["2024-05-22", "2024-05-23", "2024-05-24", "2024-05-27", "2024-05-28", "2024-05-29",  # T+2 -> T+1
            "2024-07-02", "2024-07-03", "2024-07-05", "2024-10-10", "2024-10-11", "2024-10-14",  # Columbus Day
            "2024-11-08", "2024-11-11", "2024-11-27", "2024-11-29", "2024-12-23", "2024-12-24",  # Veterans, ...
            "2025-03-07", "2025-03-10", "2025-04-17", "2025-04-18", "2025-06-18", "2025-06-19",  # DST, Good Fri
            "2023-06-16", "2023-12-22", "2025-11-03", "2027-10-08", "2027-10-11", "2026-11-25"],
    "EUR": ["2024-03-28", "2024-03-29", "2024-04-01", "2024-04-30", "2024-05-01", "2024-12-23",
            "2024-12-24", "2024-12-27", "2024-12-31", "2025-03-28", "2025-03-31", "2025-04-16",
            "2025-04-17", "2025-04-18", "2025-04-22", "2025-10-24", "2025-10-27", "2024-10-14",
            "2024-11-11", "2027-10-06", "2027-10-07", "2027-10-08", "2027-10-11", "2027-10-12",
            "2027-12-23", "2027-12-24", "2026-12-24", "2026-12-28", "2024-05-28", "2025-05-29"],
    "GBP": ["2025-04-17", "2025-05-02", "2025-05-05", "2025-05-23", "2025-08-22", "2025-12-24",
            "2022-09-16", "2023-05-05", "2027-10-07", "2027-10-08", "2027-10-11", "2025-03-28"],
    "CHF": ["2024-12-31", "2025-01-01", "2025-01-02", "2025-05-28", "2025-05-29", "2025-06-06",
            "2025-07-31", "2025-12-24", "2027-10-07", "2027-10-08", "2027-10-11", "2025-04-17"],
    "CAD": ["2024-05-17", "2024-05-20", "2024-05-23", "2024-05-24", "2024-05-27", "2024-08-02",
            "2024-09-27", "2024-09-30", "2024-10-11", "2024-11-08", "2024-12-24", "2025-02-14"],
    "JPY": ["2024-12-27", "2024-12-30", "2025-01-02", "2025-01-03", "2025-04-28", "2025-05-02",
            "2025-05-07", "2025-07-18", "2025-09-12", "2025-11-21", "2025-12-30", "2025-03-19"],
}


@pytest.fixture(scope="module")
def cal():
    return SettlementCalendar(list(DATES))


@pytest.mark.parametrize("ccy", list(DATES))
def test_settlement_dates_match_quantlib(cal, ccy):
    cycles = SettlementCycles(DEFAULT_CYCLES)
    got = settlement_dates(cal, cycles, DATES[ccy], ccy)
    exp = np.array([_ql_settle(ccy, d) for d in DATES[ccy]])
    np.testing.assert_array_equal(got, exp, err_msg=f"{ccy}: {list(zip(DATES[ccy], got, exp, strict=False))}")


def test_enough_dates_are_checked():
    assert sum(len(v) for v in DATES.values()) >= 40 and all(len(v) >= 12 for v in DATES.values())


@pytest.mark.parametrize("ccy", list(QL_CAL))
def test_settlement_calendars_match_quantlib_2015_2030(ccy):
    """Every weekday holiday of the source, year by year, against QuantLib's calendar."""
    hol = settlement_holidays(ccy)
    hol = hol[(hol >= np.datetime64("2015-01-01")) & (hol <= np.datetime64("2030-12-31"))]
    qcal = QL_CAL[ccy]()
    days = np.arange(np.datetime64("2015-01-01"), np.datetime64("2031-01-01"))
    days = days[np.is_busday(days)]
    exp = np.array([d for d in days if qcal.isHoliday(_qd(d))], dtype="datetime64[D]")
    np.testing.assert_array_equal(hol, exp)


def test_us_settlement_is_not_the_nyse_calendar(cal):
    # Columbus Day and Veterans Day: NYSE trades, the Fed (and DTC) is closed
    s = venue_sessions(["XNYS"], "2024-10-14", "2024-11-11")
    assert s.is_open[0, 0] and s.is_open[0, -1]
    assert not cal.is_business_day(["2024-10-14", "2024-11-11"], ["USD"]).any()
    # Good Friday: NYSE closed, the Fed open; TARGET closed
    assert cal.is_business_day("2025-04-18", ["USD"]) and not cal.is_business_day("2025-04-18", ["EUR"])
    assert not venue_sessions(["XNYS"], "2025-04-18", "2025-04-18").is_open.any()


# --------------------------------------------------------------------------- FX spot
def _ql_spot(pair: str, td) -> np.datetime64:
    """The convention, written on QuantLib calendars: intermediate days on the non-USD calendars only,
    the value date a good day of both currencies and of USD."""
    a, b = pair[:3], pair[3:]
    cals = {c: QL_CAL[c]() for c in {a, b, "USD"}}
    d = _qd(td)
    lag = 1 if "USD" in pair and ({a, b} - {"USD"}) <= {"CAD", "TRY", "RUB", "PHP"} else 2
    for step in range(lag):
        need = [a, b, "USD"] if step == lag - 1 else [c for c in (a, b) if c != "USD"]
        d = d + 1
        while any(cals[c].isHoliday(d) for c in need):
            d = d + 1
    return _py(d)


FX_DATES = ["2024-07-03", "2024-07-02", "2024-11-27", "2024-11-26", "2024-12-23", "2024-12-24", "2025-04-16",
            "2025-04-17", "2025-05-01", "2025-05-02", "2024-10-11", "2024-11-08", "2025-03-07", "2025-03-28",
            "2025-12-30", "2025-12-31", "2027-10-07", "2025-01-01", "2025-06-18", "2024-05-24"]


@pytest.mark.parametrize("pair", ["EURUSD", "GBPUSD", "USDCHF", "USDJPY", "USDCAD", "EURGBP", "EURJPY",
                                  "GBPCHF", "EURCAD"])
def test_fx_spot_dates_match_the_convention_on_quantlib_calendars(cal, pair):
    got = fx_spot_date(cal, pair, FX_DATES)
    exp = np.array([_ql_spot(pair, d) for d in FX_DATES])
    np.testing.assert_array_equal(got, exp, err_msg=pair)
    for c in (pair[:3], pair[3:]):  # never on either currency's holiday
        assert cal.is_business_day(got, [c]).all()


def test_fx_spot_known_dates(cal):
    assert spot_lag("USDCAD") == spot_lag("TRYUSD") == 1 and spot_lag("EURCAD") == spot_lag("EURUSD") == 2
    # 2024-07-03 EURUSD: T+1 is Independence Day (USD closed, EUR open: counts), T+2 = Friday 5 July
    assert str(fx_spot_date(cal, "EURUSD", "2024-07-03")[0]) == "2024-07-05"
    # 2024-07-02: T+2 would be 4 July, a USD holiday -> 5 July
    assert str(fx_spot_date(cal, "EURUSD", "2024-07-02")[0]) == "2024-07-05"
    # EURGBP across Easter: Good Friday and Easter Monday closed in both
    assert str(fx_spot_date(cal, "EURGBP", "2025-04-16")[0]) == "2025-04-22"


# --------------------------------------------------------------------------- horizon and user holidays
def test_dates_outside_the_horizon_raise_naming_date_and_calendar(cal):
    with pytest.raises(ValueError, match=r"2041-01-0\d.*USD.*Federal Reserve"):
        cal.add_business_days("2041-01-02", 1, ["USD"])
    with pytest.raises(ValueError, match=r"1999-12-31.*EUR"):
        cal.is_business_day("1999-12-31", ["EUR"])
    with pytest.raises(ValueError, match=r"2036-01-01.*XNYS"):
        venue_sessions(["XNYS"], "2035-12-30", "2036-01-01")
    assert HORIZON[0] <= "2024-01-01" <= HORIZON[1]


def test_user_holidays_are_merged():
    cal = SettlementCalendar(["USD"], extra={"USD": ["2025-03-12"], "ZZZ": ["2025-03-12"]})
    assert not cal.is_business_day("2025-03-12", ["USD"]) and not cal.is_business_day("2025-07-04", ["USD"])
    assert not cal.is_business_day("2025-03-12", ["ZZZ"]) and cal.is_business_day("2025-07-04", ["ZZZ"])
    assert "MarketConfig.holidays" in cal.sources["USD"] and cal.sources["ZZZ"].startswith("weekends only")


def test_unknown_currency_has_no_published_calendar():
    with pytest.raises(ValueError, match="'ZZZ'"):
        settlement_holidays("ZZZ")


# --------------------------------------------------------------------------- venue sessions
def _utc(day: str, hhmm: str) -> int:
    return int(np.datetime64(f"{day}T{hhmm}", "ns").astype(np.int64))


@pytest.mark.parametrize(("venue", "day", "open_", "close"), [
    ("XNYS", "2024-11-29", "14:30", "18:00"),  # day after Thanksgiving: 13:00 New York close
    ("XNYS", "2024-12-24", "14:30", "18:00"),  # Christmas Eve: 13:00 close
    ("XNYS", "2025-07-03", "13:30", "17:00"),  # eve of Independence Day, summer time
    ("XNYS", "2025-03-07", "14:30", "21:00"),  # last week of EST
    ("XNYS", "2025-03-10", "13:30", "20:00"),  # US on daylight time, Europe not yet:
    ("XETR", "2025-03-10", "08:00", "16:30"),  # the overlap is 13:30-16:30 UTC for three weeks
    ("XETR", "2025-03-31", "07:00", "15:30"),  # Europe on summer time
    ("XETR", "2025-10-27", "08:00", "16:30"),  # Europe back on winter time, the US one week later
    ("XNYS", "2025-10-27", "13:30", "20:00"),
    ("XNYS", "2025-11-03", "14:30", "21:00"),
    ("XAMS", "2025-04-17", "07:00", "15:30"),
    ("XPAR", "2024-12-24", "08:00", "13:05"),  # Euronext half-day on Christmas Eve
    ("XLON", "2025-06-02", "07:00", "15:30"),
])
def test_sessions_are_published_hours_in_utc(venue, day, open_, close):
    s = venue_sessions([venue], day, day)
    assert s.open_ns[0, 0] == _utc(day, open_) and s.close_ns[0, 0] == _utc(day, close)


def test_easter_2025_and_the_eu_cycle_week():
    s = venue_sessions(["XNYS", "XETR", "XAMS", "XPAR"], "2025-04-14", "2025-04-25")
    by = {v: [str(d) for d in s.trading_days(v)] for v in s.venues}
    assert "2025-04-18" not in by["XNYS"] and "2025-04-21" in by["XNYS"]  # Good Friday closed, Easter Mon open
    for v in ("XETR", "XAMS", "XPAR"):
        assert "2025-04-18" not in by[v] and "2025-04-21" not in by[v]
    assert [str(d) for d in s.desk_days()] == ["2025-04-14", "2025-04-15", "2025-04-16", "2025-04-17",
                                               "2025-04-21", "2025-04-22", "2025-04-23", "2025-04-24",
                                               "2025-04-25"]
    # an OTC venue without an exchange calendar trades the configured UTC session on weekdays
    x = venue_sessions(["XOFF"], "2025-04-18", "2025-04-19", fallback_holidays=["2025-04-19"])
    assert x.open_ns[0, 0] == _utc("2025-04-18", "14:30") and x.open_ns[0, 1] == -1


def test_a_run_cannot_start_on_a_settlement_holiday():
    import tradeflow
    from tests.conftest import small_config

    with pytest.raises(ValueError, match=r"'trade_date'.*2024-07-04"):
        tradeflow.simulate(small_config(50, market={"trade_date": "2024-07-04", "venue_sessions": False}), seed=0)
    # with venue sessions a run starts on a day some venue trades (Xetra trades on 4 July; nothing at Christmas)
    with pytest.raises(ValueError, match=r"'trade_date'.*2025-12-25"):
        tradeflow.simulate(small_config(50, market={"trade_date": "2025-12-25", "venue_sessions": True}), seed=0)


def test_the_cli_takes_days_and_venue_sessions():
    from tradeflow.cli import build_parser

    args = build_parser().parse_args(["run", "--days", "5", "--venue-sessions"])
    assert args.days == 5 and args.venue_sessions is True
    args = build_parser().parse_args(["run"])
    assert args.days is None and args.venue_sessions is None


def test_a_calendar_without_data_is_a_clear_error_but_a_warning_stays_a_warning(monkeypatch):
    import warnings

    import exchange_calendars as xcals

    from tradeflow.market.clock import trading

    trading._schedule.cache_clear()
    with pytest.raises(ValueError, match="'XNAS' has no data for 2300-2301"):
        trading._schedule("XNAS", 2300, 2301)  # beyond pandas' nanosecond range

    def warns(*args, **kwargs):
        warnings.warn("a deprecation inside the calendar library", DeprecationWarning, stacklevel=2)

    monkeypatch.setattr(xcals, "get_calendar", warns)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(DeprecationWarning, match="a deprecation inside"):
            trading._schedule("XNAS", 2025, 2026)
    trading._schedule.cache_clear()
