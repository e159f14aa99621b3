"""RunResult as a thin face: tables by office with flat aliases, one stats() table, plots behind result.plot."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tradeflow import schema
from tradeflow.parallel import summarize
from tradeflow.results import METRICS, Metric, RunResult
from tradeflow.schema import TABLES


def test_tables_by_office_with_flat_aliases(small_run):
    r = small_run
    assert r.front.orders is r.orders
    assert r.middle.risk is r.risk
    assert r.back.obligations is r.obligations
    assert r.var_backtest.__self__ is r.middle and r.fault_detection.__self__ is r.back
    for t in TABLES.values():
        frame = getattr(getattr(r, t.office), t.frame)
        assert isinstance(frame, pd.DataFrame), t.name
        if t.name in r.records and t.name not in ("positions", "eod_positions"):  # positions: traded rows only
            assert len(frame) == len(r.records[t.name]), t.name
    with pytest.raises(AttributeError, match="no table 'nope'"):
        _ = r.front.nope
    with pytest.raises(AttributeError):
        _ = r.nope


def test_table_names_cover_every_view():
    names = RunResult.table_names()
    assert {t.frame for t in TABLES.values()} <= set(names)
    assert {"trial_balance", "settlement_history", "order_events"} <= set(names)


def test_a_registered_table_needs_no_code_in_results(small_run, monkeypatch):
    """Adding a record table is one registry entry: the generic view shows it, codes as labels."""
    dt = np.dtype([("ts", np.int64), ("instrument", np.int32), ("side", np.int8), ("settle_date", np.int64)])
    monkeypatch.setitem(TABLES, "tape", schema.Table("tape", dt, "front", "prints", {"side": schema.Side}))
    rec = np.zeros(2, dt)
    rec["side"] = [1, -1]
    rec["settle_date"] = [19_000, -1]
    r = RunResult(config=small_run.config, seed=0, market=small_run.market, records={**small_run.records, "tape": rec})
    df = r.front.tape
    assert df["side"].tolist() == ["BUY", "SELL"]
    assert df["instrument"].astype(str).tolist() == [str(small_run.instruments["symbol"].iloc[0])] * 2
    assert str(df["ts"].dt.tz) == "UTC" and pd.isna(df["settle_date"].iloc[1])
    assert r.tape is df


def test_stats_is_the_one_metric_table(small_run):
    s = small_run.stats()
    assert isinstance(s, pd.Series)
    assert s["n_orders"] == len(small_run.records["orders"]) and s["n_fills"] == len(small_run.records["fills"])
    assert s["n_rejects"] == int((small_run.records["orders"]["status"] == schema.OrderStatus.REJECTED).sum())
    assert s.to_dict() == summarize(small_run)  # run_many's per-run row
    d = small_run.to_dict()
    assert d["orders"] == s["n_orders"] and d["desk_pnl"] == s["total_pnl"]
    pnl = small_run.summary_tables()["pnl_by_book"]
    assert s["total_pnl"] == pytest.approx(pnl.loc["desk", "total_pnl"])
    only = small_run.stats(metrics=(Metric("n_orders", METRICS[1].func, ("orders",)),))
    assert only["n_orders"] == s["n_orders"] and "n_fills" in only  # other kinds counted on their own


def test_plot_accessor(small_run):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = small_run.plot.pnl()
    assert ax.get_lines()
    assert small_run.plot_orders.__func__ is type(small_run.plot).orders
    plt.close("all")
