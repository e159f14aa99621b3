"""Plots: each draws what its table says (checked against the table itself), takes ``ax=``, returns it."""

import sys

import numpy as np
import pandas as pd
import pytest

import tradeflow
from tests.conftest import small_config

mpl = pytest.importorskip("matplotlib")
mpl.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from tradeflow import plotting  # noqa: E402


@pytest.fixture(scope="module")
def run():
    return tradeflow.simulate(small_config(2_000, days=2, flow={"n_books": 3}), seed=5)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _bar_heights(ax) -> dict[str, np.ndarray]:
    """Bar heights per legend label (one BarContainer per stacked segment)."""
    return {c.get_label(): np.array([p.get_height() for p in c.patches]) for c in ax.containers}


def test_plot_pnl_draws_each_book_and_the_desk_sum(run):
    fig, ax = plt.subplots()
    assert run.plot_pnl(ax=ax) is ax
    lines = {ln.get_label(): ln for ln in ax.get_lines() if not ln.get_label().startswith("_")}
    books = sorted(run.pnl["book"].unique())
    assert set(lines) == {f"book {b}" for b in books} | {"desk"}
    def drawn(label):  # the line's values, without the one break between the two sessions
        y = np.asarray(lines[label].get_ydata(), dtype=float)
        assert np.isnan(y).sum() == len(run.trade_dates) - 1
        return y[~np.isnan(y)]

    by_ts = run.pnl.groupby(level="ts")["total_pnl"].sum()
    np.testing.assert_allclose(drawn("desk"), by_ts.to_numpy())
    for b in books:
        np.testing.assert_allclose(drawn(f"book {b}"), run.pnl.loc[run.pnl["book"] == b, "total_pnl"].to_numpy())


def test_plot_pnl_other_value_and_no_desk(run):
    ax = run.plot_pnl(value="gross_exposure", desk=False)
    labels = [ln.get_label() for ln in ax.get_lines() if not ln.get_label().startswith("_")]
    assert "desk" not in labels and len(labels) == run.pnl["book"].nunique()
    assert "gross exposure" in ax.get_ylabel() and ax.get_title() == "gross exposure by book"


def test_plot_positions_ends_at_the_closing_positions(run):
    ax = run.plot_positions()
    ends = {ln.get_label(): ln.get_ydata()[-1] for ln in ax.get_lines() if not ln.get_label().startswith("_")}
    closing = run.positions.groupby("instrument", observed=True)["qty"].sum()
    assert set(ends) == set(closing.index.astype(str))
    for sym, qty in closing.items():
        assert ends[str(sym)] == qty


def test_plot_positions_one_book(run):
    book = int(run.positions["book"].iloc[0])
    ax = run.plot_positions(book=book)
    ends = {ln.get_label(): ln.get_ydata()[-1] for ln in ax.get_lines() if not ln.get_label().startswith("_")}
    closing = run.positions[run.positions["book"] == book].set_index("instrument")["qty"]
    assert ends == {str(k): v for k, v in closing.items()}


def test_plot_prices_marks_buys_and_sells(run):
    sym = str(run.fills["instrument"].value_counts().index[0])
    ax = run.plot_prices()  # default: the most traded instrument
    assert ax.get_title() == sym
    f = run.fills[run.fills["instrument"] == sym]
    counts = {c.get_label(): len(c.get_offsets()) for c in ax.collections if "fills" in c.get_label()}
    assert counts == {"buy fills": int((f["side"] == "BUY").sum()), "sell fills": int((f["side"] == "SELL").sum())}
    mid = next(ln for ln in ax.get_lines() if ln.get_label() == "mid")
    y = np.asarray(mid.get_ydata(), dtype=float)
    # the line stops at each close: one NaN between consecutive sessions, the quotes otherwise untouched
    assert np.isnan(y).sum() == len(run.trade_dates) - 1 == 1
    np.testing.assert_array_equal(y[~np.isnan(y)], run.prices("mid")[sym].to_numpy())


def test_plot_prices_rejects_unknown_symbol(run):
    with pytest.raises(ValueError, match="'instrument' parameter of plot_prices.*'NOPE'"):
        run.plot_prices("NOPE")


def test_plot_orders_counts_every_order_once(run):
    ax = run.plot_orders(freq="1h")
    heights = _bar_heights(ax)
    assert sum(h.sum() for h in heights.values()) == len(run.orders)
    by_status = run.orders["status"].astype(str).value_counts()
    assert {k: v.sum() for k, v in heights.items()} == {k: v for k, v in by_status.items() if v > 0}


def test_plot_settlements_by_status(run):
    ax = run.plot_settlements()
    heights = _bar_heights(ax)
    by_status = run.settlements["status"].astype(str).value_counts()
    assert {k: v.sum() for k, v in heights.items()} == {k: v for k, v in by_status.items() if v > 0}
    assert len(ax.get_xticklabels()) == run.settlements["settle_date"].nunique()


def test_plot_settlements_cash_needs_one_currency(run):
    with pytest.raises(ValueError, match="one currency"):
        run.plot_settlements(value="cash")
    usd = run.settlements[run.settlements["currency"] == "USD"]
    ax = plotting.plot_settlements(usd, value="cash")
    total = sum(h.sum() for h in _bar_heights(ax).values())
    assert total == usd["cash_amount"].abs().sum()
    with pytest.raises(ValueError, match="'count' or 'cash'"):
        plotting.plot_settlements(usd, value="notional")


def test_plot_breaks_clean_run_says_so(run):
    assert len(run.breaks) == 0  # a clean run
    ax = run.plot_breaks()
    assert any("no breaks" in t.get_text() for t in ax.texts)


def test_plot_breaks_stacks_by_age_when_the_table_has_it():
    breaks = pd.DataFrame({"kind": ["POSITION_MISMATCH", "PNL_MISMATCH", "PNL_MISMATCH", "MISSING_BOOKING",
                                    "PNL_MISMATCH"],
                           "age_days": [0, 0, 3, 1, 9]})
    ax = plotting.plot_breaks(breaks)
    heights = _bar_heights(ax)
    assert set(heights) == {"today", "1 day", "2-5 days", ">5 days"}
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks[0] == "PNL_MISMATCH"  # most frequent first
    per_kind = sum(heights.values())
    assert dict(zip(ticks, per_kind, strict=True)) == {"PNL_MISMATCH": 3, "POSITION_MISMATCH": 1,
                                                       "MISSING_BOOKING": 1}
    assert heights[">5 days"][ticks.index("PNL_MISMATCH")] == 1


def test_plot_breaks_stacks_by_reconciliation_date():
    breaks = pd.DataFrame({"kind": ["PNL_MISMATCH"] * 3,
                           "as_of": pd.to_datetime(["2025-01-02", "2025-01-03", "2025-01-03"])})
    heights = _bar_heights(plotting.plot_breaks(breaks))
    assert {k: v.tolist() for k, v in heights.items()} == {"2025-01-02": [1.0], "2025-01-03": [2.0]}
    with pytest.raises(ValueError, match="'stack' parameter of plot_breaks"):
        plotting.plot_breaks(breaks, stack="age_days")


def test_plot_timeseries_limit_line():
    idx = pd.date_range("2025-01-02 14:30", periods=4, freq="5min", tz="UTC", name="ts")
    frame = pd.DataFrame({"book": [0, 0, 0, 0], "var": [1.0, 2.0, 5.0, 3.0]}, index=idx)
    ax = plotting.plot_timeseries(frame, "var", by="book", limit=4.0)
    assert any(ln.get_label() == "limit" and ln.get_ydata()[0] == 4.0 for ln in ax.get_lines())
    with pytest.raises(ValueError, match="needs the column"):
        plotting.plot_timeseries(frame, "es", by="book")


def test_plot_functions_draw_into_a_given_axes(run):
    fig, axes = plt.subplots(2, 3)
    calls = [run.plot_pnl, run.plot_positions, run.plot_prices, run.plot_orders, run.plot_settlements,
             run.plot_breaks]
    for call, ax in zip(calls, axes.flat, strict=True):
        assert call(ax=ax) is ax
    assert len(fig.axes) == 6
    fig.canvas.draw()
    # drawing one axes never restyles its neighbours: every date axis keeps its tick labels
    for ax in (axes[0, 0], axes[0, 1], axes[1, 0]):
        assert any(t.get_text() for t in ax.get_xticklabels())


def test_missing_matplotlib_gives_an_install_hint(run, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r'pip install "tradeflow\[plot\]"'):
        run.plot_pnl()


def test_plot_positions_from_opening_positions(run):
    sym = str(run.fills["instrument"].iloc[0])
    start = pd.DataFrame({"book": [0, 1], "instrument": [sym, sym], "qty": [1_000, 500]})
    flat = plotting.plot_positions(run.fills, instruments=[sym])
    opened = plotting.plot_positions(run.fills, instruments=[sym], start=start)
    (a,), (b,) = ([ln for ln in ax.get_lines() if ln.get_label() == sym] for ax in (flat, opened))
    np.testing.assert_array_equal(b.get_ydata() - a.get_ydata(), 1_500)
    one_book = plotting.plot_positions(run.fills, instruments=[sym], start=start, book=1)
    (c,) = [ln for ln in one_book.get_lines() if ln.get_label() == sym]
    f = run.fills[(run.fills["book"] == 1) & (run.fills["instrument"] == sym)]
    assert c.get_ydata()[-1] == 500 + (f["qty"] * np.where(f["side"] == "BUY", 1, -1)).sum()


# --------------------------------------------------------------------------- risk, limits, settlement, explain
@pytest.fixture(scope="module")
def busy():
    """Several days with tight limits, settlement fails and injected faults: every new plot has something."""
    return tradeflow.simulate(small_config(600, days=4, flow={"n_books": 2},
                                           limits={"book_var": 60_000.0, "desk_var": 100_000.0},
                                           faults={"missing_trade": 0.02, "qty_keyed_wrong": 0.02}), seed=3)


def _labelled_lines(ax) -> dict:
    return {ln.get_label(): ln for ln in ax.get_lines() if not ln.get_label().startswith("_")}


def test_plot_risk_draws_each_book_the_desk_and_both_limits(busy):
    ax = busy.plot_risk()
    lines = _labelled_lines(ax)
    books = sorted(b for b in busy.risk["book"].unique() if b >= 0)
    assert set(lines) == {f"book {b}" for b in books} | {"desk", "book limit", "desk limit"}
    assert lines["book limit"].get_ydata()[0] == busy.config.limits.book_var
    assert lines["desk limit"].get_ydata()[0] == busy.config.limits.desk_var
    y = np.asarray(lines["desk"].get_ydata(), dtype=float)
    assert np.isnan(y).sum() == len(busy.trade_dates) - 1  # the line stops at each close
    np.testing.assert_allclose(y[~np.isnan(y)], busy.risk.loc[busy.risk["book"] == -1, "var_1d"].to_numpy())


def test_plot_risk_es_dashed_and_one_book(busy):
    ax = busy.plot_risk(es=True, books=[0])
    assert set(_labelled_lines(ax)) == {"book 0", "book limit"}  # no desk line, so no desk limit
    (es,) = [ln for ln in ax.get_lines() if ln.get_label() == "_book 0 ES"]
    assert es.get_linestyle() == "--"
    y = np.asarray(es.get_ydata(), dtype=float)
    np.testing.assert_allclose(y[~np.isnan(y)], busy.risk.loc[busy.risk["book"] == 0, "es_1d"].to_numpy())
    assert "ES" in ax.get_title()


def test_plot_risk_empty_and_missing_column(busy):
    ax = plotting.plot_risk(busy.risk.iloc[:0])
    assert any("no risk" in t.get_text() for t in ax.texts)
    with pytest.raises(ValueError, match="needs the column"):
        plotting.plot_risk(busy.risk.drop(columns="es_1d"), es=True)


def test_plot_breaches_one_marker_per_event(busy):
    b = busy.breaches
    assert (b["level"] == "BREACH").any() and (b["level"] == "WARNING").any()  # tight limits do bite
    ax = busy.plot_breaches()
    counts = {c.get_label().split()[0]: len(c.get_offsets()) for c in ax.collections}
    assert counts == {k.lower(): v for k, v in b["level"].astype(str).value_counts().items() if v}
    breach = next(c for c in ax.collections if c.get_label().startswith("breach"))
    assert (breach.get_offsets()[:, 1] >= 1.0 - 1e-12).all()  # a breach is at or over its limit
    lines = _labelled_lines(ax)
    assert lines["limit"].get_ydata()[0] == 1.0
    assert lines["warning level"].get_ydata()[0] == busy.config.limits.warning_fraction


def test_plot_breaches_empty(run):
    ax = plotting.plot_breaches(run.breaches.iloc[:0])
    assert not ax.collections and any("no limit events" in t.get_text() for t in ax.texts)


def test_plot_settlement_history_counts_every_row(busy):
    h = busy.settlement_history
    heights = _bar_heights(busy.plot_settlement_history())
    assert {k: v.sum() for k, v in heights.items()} == {k: v for k, v in h["status"].astype(str).value_counts().items()
                                                       if v}
    assert len(next(iter(heights.values()))) == h["as_of"].nunique()


def test_plot_fails_by_reason(busy):
    h = busy.settlement_history
    failed = h[h["status"] == "FAILED"]
    ax = busy.plot_fails()
    heights = _bar_heights(ax)
    if failed.empty:
        assert any("no settlement fails" in t.get_text() for t in ax.texts)
    else:
        assert {k: v.sum() for k, v in heights.items()} == \
            {k: v for k, v in failed["fail_reason"].astype(str).value_counts().items() if v}
    ax = plotting.plot_fails(h[h["status"] != "FAILED"])
    assert not ax.containers and any("no settlement fails" in t.get_text() for t in ax.texts)


def test_plot_penalties_end_at_the_total(busy):
    h = busy.settlement_history
    ax = busy.plot_penalties()
    ends = {ln.get_label(): ln.get_ydata()[-1] for ln in _labelled_lines(ax).values() if ln.get_label() != "_"}
    assert ends == {str(c): g["penalty"].sum() for c, g in h.groupby(h["currency"].astype(str))}
    assert any("no obligations" in t.get_text() for t in plotting.plot_penalties(h.iloc[:0]).texts)


def test_plot_explain_stacks_add_up_to_the_total(busy):
    for book in (None, 0):
        ax = busy.plot_explain(book=book)
        e = busy.explain if book is None else busy.explain[busy.explain["book"] == book]
        daily = e.groupby("trade_date")[["total_pnl", *plotting.EXPLAIN_COMPONENTS]].sum()
        heights = _bar_heights(ax)
        assert set(heights) <= set(plotting.EXPLAIN_COMPONENTS) and "market_move_pnl" in heights
        np.testing.assert_allclose(sum(heights.values()), daily["total_pnl"].to_numpy(), rtol=1e-9, atol=1e-6)
        (total,) = [ln for ln in ax.get_lines() if ln.get_label() == "total P&L"]
        np.testing.assert_allclose(total.get_ydata(), daily["total_pnl"].to_numpy())
        assert len(ax.get_xticklabels()) == len(busy.trade_dates)
    ax = plotting.plot_explain(busy.explain, book=99)
    assert any("no P&L" in t.get_text() for t in ax.texts)


def test_plot_breaks_counts_the_last_reconciliation_by_real_age(busy):
    br = busy.breaks
    assert "age_days" in br.columns and br["as_of"].nunique() > 1
    last = br[br["as_of"] == br["as_of"].max()]
    ax = busy.plot_breaks()
    heights = _bar_heights(ax)
    assert sum(h.sum() for h in heights.values()) == len(last)
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert dict(zip(ticks, sum(heights.values()), strict=True)) == \
        {k: v for k, v in last["kind"].astype(str).value_counts().items() if v}
    assert "today" in heights and len(heights) > 1  # new breaks today and older ones still open
    every_day = busy.plot_breaks(latest=False)
    assert sum(h.sum() for h in _bar_heights(every_day).values()) == len(br)


def test_new_plots_draw_into_a_given_axes(busy):
    fig, axes = plt.subplots(2, 3)
    calls = [busy.plot_risk, busy.plot_breaches, busy.plot_settlement_history, busy.plot_fails,
             busy.plot_penalties, busy.plot_explain]
    for call, ax in zip(calls, axes.flat, strict=True):
        assert call(ax=ax) is ax
    assert len(fig.axes) == 6
    fig.canvas.draw()
