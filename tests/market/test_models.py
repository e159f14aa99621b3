"""GARCH, jumps, the intraday profile and their config switches."""

import numpy as np
import pytest

import tradeflow
from tradeflow.config import InstrumentConfig, MarketConfig
from tradeflow.market import garch_scale, intraday_profile, merton_jumps, simulate_market


def reference_garch(z, block, alpha, beta):
    n_inst, n = z.shape
    out = np.empty_like(z)
    for i in range(n_inst):
        h = 1.0
        for start in range(0, n, block):
            seg = z[i, start:start + block]
            out[i, start:start + block] = np.sqrt(h)
            xi = seg.sum() / np.sqrt(seg.size)
            h = (1 - alpha - beta) + alpha * h * xi**2 + beta * h
    return out


@pytest.mark.parametrize("block,n", [(1, 50), (7, 100), (60, 601)])
def test_garch_scale_matches_reference(block, n):
    z = np.random.default_rng(block).standard_normal((3, n))
    got, _ = garch_scale(z, block=block, alpha=0.1, beta=0.85)
    np.testing.assert_allclose(got, reference_garch(z, block, 0.1, 0.85))


def test_garch_keeps_unconditional_variance_and_clusters():
    z = np.random.default_rng(0).standard_normal((1, 200_000))
    scale, _ = garch_scale(z, block=1, alpha=0.1, beta=0.85)
    r = (scale * z)[0]
    assert abs(r.var() - 1.0) < 0.1
    a = np.abs(r) - np.abs(r).mean()
    assert (a[1:] @ a[:-1]) / (a @ a) > 0.1  # |r| autocorrelated
    b = np.abs(z[0]) - np.abs(z[0]).mean()
    assert abs((b[1:] @ b[:-1]) / (b @ b)) < 0.02


def test_merton_jumps_count_and_size():
    j = merton_jumps(np.random.default_rng(1), (4, 100_000), intensity=50.0, mean=0.01, std=0.002)
    n = (j != 0).sum()
    assert abs(n - 200) < 5 * np.sqrt(200)
    assert abs(j[j != 0].mean() - 0.01) < 0.001


def test_profile_is_u_shaped_with_mean_one():
    x = (np.arange(10_000) + 0.5) / 10_000
    p = intraday_profile(x, open_factor=3.0, close_factor=2.0, halflife=0.05)
    assert abs(p.mean() - 1.0) < 1e-3
    assert p[0] / p[5000] == pytest.approx(3.0, rel=0.01) and p[-1] / p[5000] == pytest.approx(2.0, rel=0.01)
    assert np.allclose(intraday_profile(x, open_factor=1.0, close_factor=1.0), 1.0)


def test_switches_change_the_returns():
    insts = (InstrumentConfig(symbol="A", volatility=0.3),)
    base = dict(instruments=insts, fx_rates=(), intraday_profile=False)
    off = simulate_market(MarketConfig(**base, garch=False, jumps=False, return_dof=0.0), np.random.default_rng(3))
    on = simulate_market(MarketConfig(**base, garch=True, jumps=True, jump_intensity=20.0), np.random.default_rng(3))
    r_off, r_on = np.diff(np.log(off.mid[0])), np.diff(np.log(on.mid[0]))
    k = lambda r: ((r - r.mean()) ** 4).mean() / r.var() ** 2 - 3  # noqa: E731
    assert abs(k(r_off)) < 0.2 and k(r_on) > 3
    assert on.garch_state is not None and off.garch_state is None


def test_garch_state_carries_across_days():
    cfg = tradeflow.SimulationConfig.from_dict({"flow": {"orders_per_day": 200}, "days": 2})
    r = tradeflow.simulate(cfg, seed=0)
    assert r.market.garch_state is not None and np.all(r.market.garch_state > 0)


@pytest.mark.parametrize("kwargs,field", [
    ({"instruments": (InstrumentConfig(symbol="A"), InstrumentConfig(symbol="B"), InstrumentConfig(symbol="C")),
      "correlation": ((1, 0.9, -0.9), (0.9, 1, 0.9), (-0.9, 0.9, 1))}, "correlation"),
    ({"garch_alpha": 0.2, "garch_beta": 0.8}, "garch_beta"),
    ({"jump_std": -0.1}, "jump_std"),
    ({"profile_open": 0.0}, "profile_open"),
])
def test_bad_market_config_names_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        MarketConfig(**kwargs)


def test_negative_volatility_names_the_field():
    with pytest.raises(ValueError, match="volatility"):
        InstrumentConfig(symbol="A", volatility=-0.1)
