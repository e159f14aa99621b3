"""The single-name concentration limit across venue sessions.

With each venue in its own session (the default), only the EU names trade in the European
morning. Measured as a share of the book's momentary gross (the old measure), a book holding a few
EU names reads "concentrated" as soon as its gross passes the floor, goes reducing-only and stays so
for the day. Measured against the book's gross limit (a fixed single-name notional, the default),
the limit does not depend on which venues are open, and it still bites on a book that piles into
one name. The exact kernel values of both measures are checked against a from-scratch desk in
``tests/middle/test_marks.py``.
"""

import numpy as np
import pandas as pd
import pytest

import tradeflow
from tradeflow import SimulationConfig

US_OPEN = pd.Timestamp("2026-11-25 14:30", tz="UTC")  # NYSE/Nasdaq open on the default day (EST)


def _run(**limits):
    return tradeflow.simulate(SimulationConfig.from_dict({"limits": limits}), seed=0)


@pytest.fixture(scope="module")
def default_run():
    return _run()


def _reducing_only_share(r) -> float:
    return float((r.orders["reject_reason"].astype(str) == "REDUCING_ONLY").mean())


def test_the_default_day_trades_on_real_venues(default_run):
    assert SimulationConfig().market.venue_sessions
    fills = default_run.front.fills
    eu = fills["instrument"].astype(str).isin(["SAP", "ASML", "SIE", "TTE"]).to_numpy()
    ts = fills["ts"]
    # the desk sees the European morning and the Europe/US overlap; the US names trade in New York hours
    assert (ts[eu] < US_OPEN).any() and (ts[eu] >= US_OPEN).any()
    assert not (ts[~eu] < US_OPEN).any()


def test_old_measure_trips_in_the_european_morning_control():
    """Control: the share of momentary gross (0.7, floor 20M) makes the default desk reducing-only."""
    r = _run(concentration_basis="gross", book_concentration=0.7)
    b = r.breaches
    conc = b[(b["limit"].astype(str) == "CONCENTRATION") & (b["level"].astype(str) == "BREACH")]
    assert len(conc) > 0 and (conc["ts"] < US_OPEN).any()
    assert _reducing_only_share(r) > 0.5


def test_single_name_against_the_gross_limit_lets_the_desk_trade_across_sessions(default_run):
    b = default_run.breaches
    assert not (b["limit"].astype(str) == "CONCENTRATION").any()
    assert _reducing_only_share(default_run) < 0.01


def test_single_name_limit_still_bites_on_a_concentrated_book():
    """15M per name (0.1 x 150M): books that hold more than that in one name breach, in any session."""
    r = _run(book_concentration=0.1, breach_action="none")
    b = r.breaches
    conc = b[b["limit"].astype(str) == "CONCENTRATION"]
    hit = conc[conc["level"].astype(str) == "BREACH"]
    assert len(hit) > 0
    # the value is the largest single-name |market value| over the 150M book limit, so above 15M / 150M,
    # and never above what the pre-trade position limit allows in one default name (60,000 ASML ~ 44M)
    assert (hit["value"] >= 0.1).all() and (hit["value"] * 150e6 < 60_000 * 680 * 1.08 * 1.3).all()
    # at every risk snapshot the limit's level is the one of the book's largest name over 15M (breach) or
    # 12M (warning), that name's |market value| read from the snapshot (share of gross x gross)
    rk = r.risk.reset_index()
    rk = rk[rk["book"] >= 0]
    big = (rk["concentration"] * rk["gross_exposure"] / 150e6).to_numpy()
    expect = np.where(big >= 0.1, "BREACH", np.where(big >= 0.08, "WARNING", "CLEARED"))
    got = []
    for t, book in zip(rk["ts"], rk["book"], strict=True):
        ev = conc[(conc["book"] == book) & (conc["ts"] <= t)]
        got.append(str(ev["level"].iloc[-1]) if len(ev) else "CLEARED")
    near = np.isclose(big, 0.1, rtol=1e-9) | np.isclose(big, 0.08, rtol=1e-9)
    assert (np.array(got) == expect)[~near].all()
    assert (expect == "BREACH").any() and (expect == "CLEARED").any()
