"""Lunch breaks (Tokyo, Hong Kong): no trading, flow or fills in a venue's break, against exchange_calendars."""

import numpy as np
import pandas as pd
import pytest

import tradeflow
from tests.conftest import small_config
from tradeflow.market.clock import venue_sessions

xcals = pytest.importorskip("exchange_calendars")

ASIA = [{"symbol": "7203", "currency": "JPY", "price": 2800.0, "tick_size": 1.0, "lot_size": 100, "mic": "XTKS"},
        {"symbol": "0700", "currency": "HKD", "price": 400.0, "tick_size": 0.2, "lot_size": 100, "mic": "XHKG"},
        {"symbol": "AAPL", "price": 230.0, "mic": "XNAS"}]
FX = [{"pair": "USDJPY", "rate": 150.0, "volatility": 0.08}, {"pair": "USDHKD", "rate": 7.8, "volatility": 0.01}]


def _breaks(mic: str) -> pd.DataFrame:
    s = xcals.get_calendar(mic, start="2024-01-01", end="2026-12-31").schedule
    s.index = s.index.values.astype("datetime64[D]")
    return s


def test_venue_breaks_are_exchange_calendars():
    vs = venue_sessions(["XTKS", "XHKG", "XNYS"], "2025-03-03", "2025-03-14")
    for v, mic in enumerate(vs.venues):
        ref = _breaks(mic)
        for k, d in enumerate(vs.days):
            if d not in ref.index:
                assert vs.open_ns[v, k] == -1 and vs.break_start_ns[v, k] == -1
                continue
            row = ref.loc[d]
            for got, col in ((vs.break_start_ns[v, k], "break_start"), (vs.break_end_ns[v, k], "break_end")):
                assert got == (-1 if pd.isna(row[col]) else pd.Timestamp(row[col]).value)
    # Tokyo 11:30-12:30 and Hong Kong 12:00-13:00 local, i.e. 02:30-03:30 and 04:00-05:00 UTC; NYSE none
    bs, be = vs.day_breaks("2025-03-05")
    assert [str(np.datetime64(int(x), "ns"))[11:16] for x in bs[:2]] == ["02:30", "04:00"]
    assert [str(np.datetime64(int(x), "ns"))[11:16] for x in be[:2]] == ["03:30", "05:00"]
    assert bs[2] == be[2] == -1


@pytest.fixture(scope="module")
def asia_run():
    cfg = small_config(3_000, days=2, market={"trade_date": "2025-03-05", "instruments": ASIA, "fx_rates": FX,
                                              "correlation": 0.2},
                       flow={"algo_share": 0.3}, back={"minor_units": {"USD": 2, "JPY": 0, "HKD": 2}})
    return tradeflow.simulate(cfg, seed=2)


def test_no_fill_order_or_price_move_in_a_lunch_break(asia_run):
    r = asia_run
    fills, orders = r.front.fills, r.front.orders
    mics = r.instruments.set_index("symbol")["mic"]
    checked = 0
    for sym in ("7203", "0700"):
        ref = _breaks(mics[sym])
        for d in r.trade_dates:
            row = ref.loc[np.datetime64(d, "D")]
            b0, b1 = pd.Timestamp(row["break_start"]), pd.Timestamp(row["break_end"])
            f = fills[(fills["instrument"].astype(str) == sym)]
            o = orders[(orders["instrument"].astype(str) == sym)]
            assert not ((f["ts"] >= b0) & (f["ts"] < b1)).any()
            assert not ((o["ts"] >= b0) & (o["ts"] < b1)).any()
            # orders before and after the break: the venue trades both halves of its day
            day = (o["ts"] >= pd.Timestamp(row["open"])) & (o["ts"] < pd.Timestamp(row["close"]))
            assert (day & (o["ts"] < b0)).any() and (day & (o["ts"] >= b1)).any()
            mid = r.market.prices_frame()[sym]
            inside = mid[(mid.index >= b0) & (mid.index < b1)]
            assert len(inside) > 0 and inside.nunique() == 1  # the mark holds through the break
            # issue 13: the venue's quote record shows the book shut in the break, not its last quotes
            i = list(r.instruments["symbol"]).index(sym)
            q = r.records["quotes"][r.records["quotes"]["instrument"] == i]
            qt = pd.to_datetime(q["ts"], unit="ns", utc=True)
            brk = (qt >= b0) & (qt < b1)
            live = (qt >= pd.Timestamp(row["open"])) & (qt < pd.Timestamp(row["close"])) & ~brk
            assert brk.any() and np.isnan(q["bid"][brk]).all() and np.isnan(q["ask"][brk]).all()
            assert (q["bid_qty"][brk] == 0).all() and (q["ask_qty"][brk] == 0).all()
            assert np.isfinite(q["bid"][live]).mean() > 0.99  # ... and its quotes while it trades
            after = (qt >= pd.Timestamp(row["close"])) & (qt < pd.Timestamp(row["close"]) + pd.Timedelta(hours=1))
            assert np.isnan(q["bid"][after]).all()  # nor after its close (while another venue still trades)
            checked += 1
    assert checked == 2 * len(r.trade_dates)
    assert len(fills) > 0


def test_control_without_the_breaks_orders_and_fills_land_in_them(monkeypatch):
    from tradeflow.market.clock.trading import VenueSessions

    def no_breaks(self, day):
        o, _ = self.day(day)
        return np.full(o.shape, -1, np.int64), np.full(o.shape, -1, np.int64)

    monkeypatch.setattr(VenueSessions, "day_breaks", no_breaks)
    cfg = small_config(3_000, days=1, market={"trade_date": "2025-03-05", "instruments": ASIA, "fx_rates": FX,
                                              "correlation": 0.2},
                       flow={"algo_share": 0.3}, back={"minor_units": {"USD": 2, "JPY": 0, "HKD": 2}})
    r = tradeflow.simulate(cfg, seed=2)
    row = _breaks("XTKS").loc[np.datetime64("2025-03-05")]
    b0, b1 = pd.Timestamp(row["break_start"]), pd.Timestamp(row["break_end"])
    f = r.front.fills
    f = f[f["instrument"].astype(str) == "7203"]
    assert ((f["ts"] >= b0) & (f["ts"] < b1)).any()
