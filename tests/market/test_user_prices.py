"""The user's own prices drive the desk; bad tables raise errors naming the problem."""

import numpy as np
import pandas as pd
import pytest

import tradeflow
from tests.conftest import small_config
from tests.test_invariants import check_invariants


def user_prices(cfg, freq="5s"):
    idx = pd.date_range("2026-11-25 14:30", "2026-11-25 21:00", freq=freq, tz="UTC")
    rng = np.random.default_rng(0)
    cols = {i.symbol: i.price * np.exp(np.cumsum(rng.normal(0, 2e-4, idx.size))) for i in cfg.market.instruments}
    return pd.DataFrame(cols, index=idx)


def test_user_prices_replace_the_simulated_mids():
    cfg = small_config(2_000, market={"venue_sessions": False})  # the table spans the one UTC session
    p = user_prices(cfg)
    r = tradeflow.simulate(cfg, seed=3, prices=p)
    check_invariants(r)
    grid = r.market.times
    want = p.reindex(pd.to_datetime(grid, utc=True), method="ffill")
    np.testing.assert_allclose(r.market.mid.T, want.to_numpy())
    # laid out as the simulated mids: the kernels see the same types (no second compilation of the desk loop)
    assert r.market.mid.flags.c_contiguous and r.market.bid.flags.c_contiguous
    assert np.allclose(r.records["orders"]["ref_price"],
                       r.market.mid[r.records["orders"]["instrument"], r.market.step_of(r.records["orders"]["ts"])])


@pytest.mark.parametrize("corrupt,match", [
    (lambda p: p.iloc[::-1], "sorted"),
    (lambda p: p.assign(AAPL=np.where(np.arange(len(p)) == 7, np.nan, p["AAPL"])), "finite.*'AAPL'"),
    (lambda p: p.assign(MSFT=-p["MSFT"]), "positive.*'MSFT'"),
    (lambda p: p.drop(columns="JPM"), "JPM"),
    (lambda p: p.reset_index(drop=True), "DatetimeIndex"),
])
def test_bad_user_prices_raise(corrupt, match):
    cfg = small_config(100)
    with pytest.raises(ValueError, match=match):
        tradeflow.simulate(cfg, seed=0, prices=corrupt(user_prices(cfg)))


def test_user_prices_must_cover_the_session():
    cfg = small_config(100, days=2)
    with pytest.raises(ValueError, match="no prices between"):
        tradeflow.simulate(cfg, seed=0, prices=user_prices(cfg))
