"""Venue-local time columns against the standard library's zoneinfo, across the US and EU DST changes."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tradeflow
from tests.conftest import small_config
from tradeflow.market.clock import local_time, venue_timezone

ZONES = {"XNYS": "America/New_York", "XNAS": "America/New_York", "XETR": "Europe/Berlin",
         "XAMS": "Europe/Amsterdam", "XPAR": "Europe/Paris", "XTKS": "Asia/Tokyo", "XHKG": "Asia/Hong_Kong",
         "XLON": "Europe/London", "XOFF": "UTC"}
# 2025: US clocks change on 9 March and 2 November, EU clocks on 30 March and 26 October
LO = int(pd.Timestamp("2025-03-01", tz="UTC").value)
HI = int(pd.Timestamp("2025-11-10", tz="UTC").value)


def _zoneinfo_wall(ts_ns: int, zone: str) -> datetime:
    utc = datetime.fromtimestamp(ts_ns // 10**9, UTC)
    return utc.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def test_venue_time_zones_are_the_exchanges():
    for mic, zone in ZONES.items():
        assert venue_timezone(mic) == zone


@given(st.lists(st.tuples(st.integers(LO // 10**9, HI // 10**9), st.sampled_from(sorted(ZONES))), min_size=1,
                max_size=40))
def test_local_wall_clock_matches_zoneinfo(rows):
    ts = np.array([s * 10**9 for s, _ in rows], np.int64)
    df = pd.DataFrame({"ts": ts, "venue": [m for _, m in rows]})
    out = local_time(df)
    assert (out["ts"].to_numpy() == ts).all()  # the UTC record is untouched
    for k, (s, mic) in enumerate(rows):
        assert out["ts_local"].iloc[k].to_pydatetime() == _zoneinfo_wall(s * 10**9, ZONES[mic])
        assert out["ts_local_tz"].iloc[k] == ZONES[mic]


def test_the_same_utc_hour_moves_in_local_time_across_the_dst_weeks():
    # 13:30 UTC on a Friday before and the Monday after each change: 08:30 -> 09:30 New York (9 March),
    # 14:30 -> 14:30 Berlin (both still CET); after 30 March 15:30 CEST
    ts = pd.to_datetime(["2025-03-07 13:30", "2025-03-10 13:30", "2025-03-28 13:30", "2025-03-31 13:30"], utc=True)
    df = pd.DataFrame({"ts": np.repeat(ts, 2), "venue": ["XNYS", "XETR"] * 4})
    got = local_time(df)["ts_local"].dt.strftime("%H:%M").tolist()
    assert got == ["08:30", "14:30", "09:30", "14:30", "09:30", "14:30", "09:30", "15:30"]


def test_one_zone_gives_a_tz_aware_column_and_bad_columns_are_named():
    df = pd.DataFrame({"ts": pd.to_datetime(["2025-03-10 13:30"], utc=True)})
    out = local_time(df, tz="Asia/Tokyo", name="tokyo")
    assert str(out["tokyo"].dt.tz) == "Asia/Tokyo" and out["tokyo"].iloc[0].hour == 22
    with pytest.raises(ValueError, match="'venue'.*'mic'"):
        local_time(df, venue="mic")
    with pytest.raises(ValueError, match="'ts'.*'time'"):
        local_time(df, ts="time")


def test_fills_of_a_run_fall_inside_their_venue_local_hours():
    cfg = small_config(3_000, market={"trade_date": "2025-03-10"})  # New York on summer time, Europe not yet
    fills = tradeflow.simulate(cfg, seed=1).front.fills.pipe(tradeflow.local_time)
    hours = {"America/New_York": ("09:30", "16:00"), "Europe/Berlin": ("09:00", "17:30"),
             "Europe/Amsterdam": ("09:00", "17:30"), "Europe/Paris": ("09:00", "17:30")}
    clock = fills["ts_local"].dt.strftime("%H:%M:%S")
    assert set(fills["ts_local_tz"].astype(str)) == set(hours)
    for zone, (a, b) in hours.items():
        k = (fills["ts_local_tz"] == zone).to_numpy()
        assert k.any() and (clock[k] >= a).all() and (clock[k] < b).all()
