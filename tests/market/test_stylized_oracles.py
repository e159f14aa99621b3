"""The stylized-fact estimators and the market's generators against references from other hands.

statsmodels (ACF, Ljung-Box), arch (GARCH(1,1) maximum likelihood) and scipy, on synthetic data
whose answers are known: no simulated desk-day is needed here, so these run in a few seconds.
"""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from tradeflow.front.clients import metaorder_ids as draw_metaorders
from tradeflow.market.estimators import autocorrelation_robust_se
from tradeflow.market.models import garch_scale
from tradeflow.market.stylized import (
    deseasonalized_abs_returns,
    hurst_aggregated_variance,
    intraday_ratios,
    pooled_autocorrelation,
    power_law_exponent,
)

statsmodels = pytest.importorskip("statsmodels.tsa.stattools")
arch = pytest.importorskip("arch")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pooled_autocorrelation_is_statsmodels_acf(seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_t(4, 5_000).cumsum() * 0.01 + np.random.default_rng(seed).normal(0, 1, 5_000)
    want = statsmodels.acf(x, nlags=300, fft=False)[1:]
    np.testing.assert_allclose(pooled_autocorrelation([x], 300), want, rtol=1e-9, atol=1e-12)


def test_pooled_autocorrelation_pools_without_cross_pairs():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=400), rng.normal(size=700) + 5
    a0, b0 = a - a.mean(), b - b.mean()
    want = [(a0[:-k] @ a0[k:] + b0[:-k] @ b0[k:]) / (a0 @ a0 + b0 @ b0) for k in range(1, 11)]
    np.testing.assert_allclose(pooled_autocorrelation([a, b], 10), want, rtol=1e-10)


def test_robust_standard_error_is_the_acf_spread():
    """Issue 13: for iid returns the robust standard error is Bartlett's 1 / sqrt(n); for a martingale with
    clustered, heavy-tailed volatility it is the sample ACF's spread over many draws, several times 1 / sqrt(n)."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=40_000)
    np.testing.assert_allclose(autocorrelation_robust_se([x], 3), 1 / np.sqrt(x.size), rtol=0.05)
    n, reps = 2_000, 400
    scale = np.repeat(rng.lognormal(0.0, 1.0, (reps, n // 50)), 50, axis=1)  # volatility regimes of 50 steps
    r = rng.standard_t(4, (reps, n)) * scale
    acf1 = np.array([pooled_autocorrelation([row], 1)[0] for row in r])
    se1 = np.array([autocorrelation_robust_se([row], 1)[0] for row in r])
    assert np.std(acf1) > 2.5 / np.sqrt(n)  # Bartlett's band is far too narrow here
    assert np.mean(se1) == pytest.approx(np.std(acf1), rel=0.2)


@pytest.mark.parametrize("gamma", [0.3, 0.5, 0.8])
def test_power_law_exponent_recovers_a_known_decay(gamma):
    lags = np.arange(1, 1001)
    assert power_law_exponent(0.4 * lags ** -gamma, lo=10, hi=1000) == pytest.approx(gamma, abs=0.01)
    died = 0.4 * lags ** -gamma - 0.1  # negative before lag 1000: no power law to that lag
    assert np.isnan(power_law_exponent(died, lo=10, hi=1000))


@pytest.mark.parametrize("alpha", [1.3, 1.5, 1.7])
def test_metaorder_lengths_follow_the_documented_law(alpha):
    """Issue 12: P(L >= l) = l ** -alpha (not l ** -(alpha - 1)), and the cap holds a small share."""
    rng = np.random.default_rng(int(alpha * 10))
    n = 400_000
    meta = draw_metaorders(rng, np.zeros(n, np.int64), 1, tail=alpha, max_len=1_000)
    lengths = np.bincount(meta)
    for ell in (2, 5, 20, 100):
        p = np.mean(lengths[:-1] >= ell)  # the last metaorder is cut by the end of the sample
        se = np.sqrt(p * (1 - p) / (lengths.size - 1))
        assert abs(p - ell ** -alpha) < 4 * se + 1e-4, (ell, p, ell ** -alpha)
    capped_share = lengths[lengths >= 1_000].sum() / n
    assert capped_share < 0.05
    # scipy's discrete-Pareto reference: the zeta-like law's mean length below the cap
    ell = np.arange(1, 1_001)
    pmf = ell ** -alpha - (ell + 1.0) ** -alpha
    pmf[-1] = 1_000.0 ** -alpha
    assert lengths[:-1].mean() == pytest.approx(float(np.sum(ell * pmf)), rel=0.05)
    # scipy's chi-square goodness of fit on lengths 1..9 and 10+
    obs = np.bincount(np.minimum(lengths[:-1], 10), minlength=11)[1:]
    ell = np.arange(1, 10)
    want = np.append(ell ** -alpha - (ell + 1.0) ** -alpha, 10.0 ** -alpha) * obs.sum()
    assert stats.chisquare(obs, want).pvalue > 1e-3


@pytest.mark.parametrize("alpha", [1.4, 1.6])
def test_metaorder_signs_have_the_documented_hurst_exponent(alpha):
    """Lillo-Mike-Farmer: signs of metaorders with P(L >= l) ~ l ** -alpha have H = (3 - alpha) / 2."""
    rng = np.random.default_rng(7)
    n = 400_000
    meta = draw_metaorders(rng, np.zeros(n, np.int64), 1, tail=alpha, max_len=100_000)
    side = np.where(rng.random(int(meta.max()) + 1) < 0.5, -1.0, 1.0)[meta]
    segs = np.split(side, 8)
    assert hurst_aggregated_variance(segs, min_block=40) == pytest.approx((3 - alpha) / 2, abs=0.06)
    acf = pooled_autocorrelation(segs, 1_000)
    assert power_law_exponent(acf, lo=10, hi=1_000) == pytest.approx(alpha - 1, abs=0.15)
    iid = np.split(np.where(rng.random(n) < 0.5, -1.0, 1.0), 8)
    assert hurst_aggregated_variance(iid, min_block=40) == pytest.approx(0.5, abs=0.04)


def test_garch_recovered_by_arch():
    """The market's GARCH(1,1) (one variance per block), fitted by arch's maximum likelihood."""
    rng = np.random.default_rng(11)
    z = rng.standard_normal((1, 12_000))
    g, _ = garch_scale(z, block=1, alpha=0.1, beta=0.85)
    e = (g * z)[0] * 10  # arch prefers returns of order 1-10
    res = arch.arch_model(e, mean="Zero", vol="GARCH", p=1, q=1, rescale=False).fit(disp="off")
    for name, want in (("alpha[1]", 0.1), ("beta[1]", 0.85)):
        assert abs(res.params[name] - want) < 3 * res.std_err[name] + 0.01, (name, res.params[name], res.std_err[name])
    # and blocks of 60 steps: the GARCH runs on the block sums
    z = rng.standard_normal((1, 60 * 8_000))
    g, _ = garch_scale(z, block=60, alpha=0.1, beta=0.85)
    e = (g * z)[0].reshape(-1, 60).sum(axis=1) / np.sqrt(60) * 10
    res = arch.arch_model(e, mean="Zero", vol="GARCH", p=1, q=1, rescale=False).fit(disp="off")
    assert abs(res.params["alpha[1]"] - 0.1) < 3 * res.std_err["alpha[1]"] + 0.01
    assert abs(res.params["beta[1]"] - 0.85) < 3 * res.std_err["beta[1]"] + 0.01


def test_ljung_box_sees_clustering_only_with_garch():
    from statsmodels.stats.diagnostic import acorr_ljungbox

    rng = np.random.default_rng(5)
    z = rng.standard_normal((1, 8_000))
    g, _ = garch_scale(z, block=1, alpha=0.1, beta=0.85)
    e = (g * z)[0]
    assert acorr_ljungbox(np.abs(e), lags=[30])["lb_pvalue"].iloc[0] < 1e-6
    assert acorr_ljungbox(np.abs(z[0]), lags=[30])["lb_pvalue"].iloc[0] > 1e-3
    # our ACF gives the same Q statistic
    n, r = e.size, pooled_autocorrelation([np.abs(e)], 30)
    q = n * (n + 2) * np.sum(r ** 2 / (n - np.arange(1, 31)))
    assert q == pytest.approx(acorr_ljungbox(np.abs(e), lags=[30])["lb_stat"].iloc[0], rel=1e-9)


def _session_index(n_days=20, minutes=390):
    days = pd.date_range("2026-03-02", periods=n_days, freq="B", tz="UTC")
    return [d + pd.Timedelta(hours=14, minutes=30) + pd.to_timedelta(np.arange(minutes + 1), "min") for d in days]


def test_deseasonalized_clustering_removes_the_u_shape():
    """iid returns with a U-shaped scale: raw |r| look clustered, deseasonalized ones do not."""
    rng = np.random.default_rng(9)
    frac = np.linspace(0, 1, 390)
    u = 1 + 2 * np.exp(-frac / 0.05) + 1.5 * np.exp(-(1 - frac) / 0.05)
    rets = [(u * rng.standard_normal(390), np.arange(390)) for _ in range(40)]
    raw = pooled_autocorrelation([np.abs(r) for r, _ in rets], 30)
    des = pooled_autocorrelation(deseasonalized_abs_returns(rets), 30)
    assert raw[0] > 0.05
    assert abs(des[0]) < 0.03 and abs(des[29]) < 0.03


def test_intraday_ratios_of_a_known_u_shape():
    idx = _session_index(5)
    frames = []
    for ix in idx:
        frac = np.linspace(0, 1, ix.size)
        frames.append(pd.DataFrame({"A": 1 + 2 * (frac < 1 / 13) + 1 * (frac > 12 / 13)}, index=ix))
    v = pd.concat(frames)
    o, c = intraday_ratios(v, how="mean")
    assert o == pytest.approx(3.0, rel=0.05) and c == pytest.approx(2.0, rel=0.1)
