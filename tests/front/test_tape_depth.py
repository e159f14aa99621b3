"""The venue's tape (``result.trades``) and depth (``result.depth``) against the books' own counts and quotes."""

import numpy as np
import pandas as pd
import pytest

import tradeflow
from tests.conftest import small_config
from tradeflow.schema import DEPTH_DT, TRADE_DT, Side


@pytest.fixture(scope="module", params=[1, 2])
def run(request):
    return tradeflow.simulate(small_config(3_000, execution={"depth_levels": 5, "depth_every_seconds": 30.0}),
                              seed=request.param)


def test_the_tape_holds_every_trade_the_books_counted(run):
    tr, q = run.records["trades"], run.records["quotes"]
    assert tr.dtype == TRADE_DT and tr.size > 0
    assert np.all(np.diff(tr["ts"]) >= 0)
    assert np.all(tr["qty"] > 0)
    assert set(np.unique(tr["side"])) <= {int(Side.BUY), int(Side.SELL)}
    grid0 = q["ts"].min()
    for i in np.unique(q["instrument"]):
        on_grid = (tr["instrument"] == i) & (tr["ts"] >= grid0)  # the quotes count from the first grid time
        qi = q[q["instrument"] == i]
        assert tr["qty"][on_grid].sum() == qi["volume"].sum()
        assert np.count_nonzero(on_grid) == qi["n_trades"].sum()
        # a trade at a price no quote came near would be a level mis-mapped to another book
        lo, hi = np.nanmin(qi["bid"]), np.nanmax(qi["ask"])
        assert lo - 0.01 * lo <= tr["price"][on_grid].min() and tr["price"][on_grid].max() <= hi + 0.01 * hi


def test_every_desk_execution_is_on_the_tape(run):
    tr, x = run.records["trades"], run.records["executions"]
    desk = tr[tr["desk"]]
    assert np.array_equal(desk["desk"], (desk["taker_order_id"] >= 0) | (desk["maker_order_id"] >= 0))
    assert not np.any((tr["taker_order_id"] >= 0)[~tr["desk"]] | (tr["maker_order_id"] >= 0)[~tr["desk"]])
    # one execution per desk party of a trade: the same (order, ts, qty, price) multiset
    rows = [(t["taker_order_id"], t["ts"], t["qty"], t["price"]) for t in desk if t["taker_order_id"] >= 0]
    rows += [(t["maker_order_id"], t["ts"], t["qty"], t["price"]) for t in desk if t["maker_order_id"] >= 0]
    ex = sorted((int(e["order_id"]), int(e["ts"]), int(e["qty"]), round(float(e["price"]), 6)) for e in x)
    assert sorted((int(a), int(b), int(c), round(float(d), 6)) for a, b, c, d in rows) == ex
    assert len(ex) > 0


def test_depth_is_sorted_uncrossed_and_its_touch_is_the_quote(run):
    d, q = run.records["depth"], run.records["quotes"]
    assert d.dtype == DEPTH_DT and d.size > 0
    f = pd.DataFrame(d)
    assert f["level"].max() == 4 and np.all(f["qty"] > 0)
    ts = np.unique(d["ts"])
    assert np.all(np.diff(ts) == 30 * 10**9)  # every 30th one-second grid time
    for (_, _, s), g in f.groupby(["ts", "instrument", "side"]):
        assert np.array_equal(g["level"], np.arange(len(g)))
        step = np.diff(g["price"].to_numpy())
        assert np.all(step < 0) if s == Side.BUY else np.all(step > 0)  # best first, distinct levels
    touch = f[f["level"] == 0].pivot_table(index=["ts", "instrument"], columns="side", values=["price", "qty"])
    qq = pd.DataFrame(q).set_index(["ts", "instrument"]).loc[touch.index]
    assert np.allclose(touch[("price", int(Side.BUY))], qq["bid"], equal_nan=True)
    assert np.allclose(touch[("price", int(Side.SELL))], qq["ask"], equal_nan=True)
    assert np.array_equal(touch[("qty", int(Side.BUY))].fillna(0), qq["bid_qty"])
    both = touch[("price", int(Side.BUY))].notna() & touch[("price", int(Side.SELL))].notna()
    assert np.all(touch[("price", int(Side.BUY))][both] < touch[("price", int(Side.SELL))][both])


def test_tape_and_depth_switch_off():
    r = tradeflow.simulate(small_config(500, execution={"tape": False, "depth_levels": 0}), seed=3)
    assert r.records["trades"].size == 0 and r.records["depth"].size == 0
    assert r.records["trades"].dtype == TRADE_DT


@pytest.mark.parametrize("field, value", [("depth_levels", -1), ("depth_every_seconds", 0.0), ("tape", 1)])
def test_bad_depth_and_tape_settings_are_named(field, value):
    with pytest.raises(ValueError, match=field):
        tradeflow.SimulationConfig.from_dict({"execution": {field: value}})
