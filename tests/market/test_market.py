"""Simulated prices: statistics against the configured model, quotes on the tick grid."""

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from tradeflow.config import FxRateConfig, InstrumentConfig, MarketConfig
from tradeflow.core.linalg import ordered_matmul
from tradeflow.market import simulate_market
from tradeflow.market.paths import TRADING_DAYS_PER_YEAR


def test_gbm_volatility_and_correlation_match_config():
    insts = (InstrumentConfig(symbol="A", volatility=0.2), InstrumentConfig(symbol="B", volatility=0.4),
             InstrumentConfig(symbol="C", currency="EUR", volatility=0.3, tick_size=0.05))
    corr = ((1.0, 0.6, 0.2), (0.6, 1.0, -0.3), (0.2, -0.3, 1.0))
    # the generator on one continuous session (with venue sessions a price holds while its venue is shut)
    cfg = MarketConfig(instruments=insts, correlation=corr, step_seconds=1.0, intraday_profile=False, garch=False,
                       jumps=False, return_dof=0.0, venue_sessions=False,
                       fx_rates=(FxRateConfig(pair="EURUSD", rate=1.1, volatility=0.1),))
    m = simulate_market(cfg, np.random.default_rng(42))
    r = np.diff(np.log(m.mid), axis=1)
    n = r.shape[1]
    dt = 1.0 / (6.5 * 3600 * TRADING_DAYS_PER_YEAR)
    ann_vol = r.std(axis=1, ddof=1) / np.sqrt(dt)
    # sample variance of n normals: chi-square with n-1 dof; 5-sigma band on the vol estimate
    tol = 5 * np.array([0.2, 0.4, 0.3]) / np.sqrt(2 * n)
    np.testing.assert_allclose(ann_vol, [0.2, 0.4, 0.3], atol=tol.max())
    rho = np.corrcoef(r)
    # Fisher z: standard error 1/sqrt(n-3)
    z_err = np.abs(np.arctanh(rho[np.triu_indices(3, 1)]) - np.arctanh(np.array([0.6, 0.2, -0.3])))
    assert (z_err * np.sqrt(n - 3) < 5).all()
    # log-returns are normal (GBM), as a sanity check on the generator
    assert stats.normaltest(r[0]).pvalue > 1e-4
    # FX row 0 is the base currency; EUR is the configured pair's path
    assert m.currencies == ("USD", "EUR")
    assert (m.fx[0] == 1.0).all() and m.fx[1, 0] == pytest.approx(1.1)


def test_quotes_sit_on_the_tick_grid_at_least_one_tick_apart():
    insts = (InstrumentConfig(symbol="A", price=3.0, tick_size=0.05, spread_bps=0.0),
             InstrumentConfig(symbol="B", price=500.0, spread_bps=10.0))
    m = simulate_market(MarketConfig(instruments=insts, fx_rates=()), np.random.default_rng(1))
    for i, tick in enumerate([0.05, 0.01]):
        assert (m.ask[i] - m.bid[i] >= tick - 1e-9).all()
        for q in (m.bid[i], m.ask[i]):
            np.testing.assert_allclose(q / tick, np.rint(q / tick), atol=1e-6)
        assert (m.bid[i] <= m.mid[i] + 1e-12).all() and (m.ask[i] >= m.mid[i] - 1e-12).all()


def test_session_grid():
    cfg = MarketConfig(session_open="14:30", session_close="21:00", step_seconds=5.0, venue_sessions=False)
    m = simulate_market(cfg, np.random.default_rng(0))
    assert m.n_steps == 6.5 * 3600 / 5
    assert np.all(np.diff(m.times) == 5_000_000_000)
    assert str(m.prices_frame().index[0]) == "2026-11-25 14:30:00+00:00"


@given(st.integers(1, 6), st.integers(1, 9), st.integers(0, 40), st.integers(0, 2**32 - 1))
def test_ordered_matmul_is_a_fixed_order_sum_close_to_blas(n, k, m, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=(n, k)) * 10.0 ** rng.integers(-3, 4, (n, k)), rng.normal(size=(k, m))
    got = ordered_matmul(a, b)
    want = np.zeros((n, m))
    for p in range(k):  # the documented order, in numpy's elementwise operations: multiply, then add
        want = want + a[:, p:p + 1] * b[p]
    assert got.tobytes() == want.tobytes()
    np.testing.assert_allclose(got, a @ b, rtol=1e-12, atol=1e-12 * np.abs(a).max() * np.abs(b).max(initial=1.0) * k)


def test_ordered_matmul_refuses_bad_shapes():
    with pytest.raises(ValueError, match="inner dimensions"):
        ordered_matmul(np.ones((2, 3)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="2-D"):
        ordered_matmul(np.ones(3), np.ones((3, 1)))


_MARKET_DIGEST = """
import hashlib, numpy as np
from tradeflow.config import MarketConfig
from tradeflow.market import simulate_market
from tradeflow.front.impact import power_law_kernel
m = simulate_market(MarketConfig(step_seconds=1.0), np.random.default_rng(7))
w, r = power_law_kernel(0.5, 1.0, 23_400.0)  # the impact kernel's NNLS fit (LAPACK least squares)
print(hashlib.sha256(m.mid.tobytes() + m.fx.tobytes() + w.tobytes() + r.tobytes()).hexdigest())
"""


def _digests_by_blas_threads(script: str) -> set[str]:
    # the digest ``script`` prints, run in a fresh process with 1, 2 and 3 OpenBLAS threads
    digests = set()
    for threads in ("1", "2", "3"):
        env = {**os.environ, "OPENBLAS_NUM_THREADS": threads, "OMP_NUM_THREADS": threads}
        out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
        digests.add(out.stdout.strip().splitlines()[-1])
    return digests


def test_the_market_is_the_same_bits_whatever_the_blas_threads():
    # numpy's matmul goes to OpenBLAS, whose result moved with its thread count (a Dask worker runs one);
    # the market's correlated draws are summed in one order instead; the impact kernel's fit is small
    # enough that LAPACK runs it on one thread
    assert len(_digests_by_blas_threads(_MARKET_DIGEST)) == 1


_LAPACK_DIGEST = """
import hashlib, numpy as np
from tradeflow.market.paths import correlated_normals
from tradeflow.core.linalg import eigh, one_blas_thread
rng = np.random.default_rng(3)
n = 300
a = rng.normal(size=(n, n))
with one_blas_thread():                     # the input itself must not move with the threads (a @ a.T does)
    s = a @ a.T / n
d = np.sqrt(np.diag(s))
full = s / d[:, None] / d[None, :]          # positive definite: the Cholesky path
semi = np.ones((n, n)) * 0.5
np.fill_diagonal(semi, 1.0)
semi[:, -1] = semi[:, 0]
semi[-1, :] = semi[0, :]                    # two identical names: only semi-definite, the eigh path
w, v = eigh(full)                           # monte_carlo_var's root
parts = [correlated_normals(np.random.default_rng(1), full, 20), correlated_normals(np.random.default_rng(1), semi, 20),
         w, np.abs(v)]
print(hashlib.sha256(b"".join(p.tobytes() for p in parts)).hexdigest())
"""


def test_large_universes_factor_the_same_bits_whatever_the_blas_threads():
    # LAPACK's cholesky (from 200 names) and eigh (from 100) moved with OpenBLAS's thread count on the
    # 2-core machine; tradeflow.core.linalg runs them on one thread
    assert len(_digests_by_blas_threads(_LAPACK_DIGEST)) == 1


def test_one_blas_thread_factors_as_numpy():
    from tradeflow.core.linalg import cholesky, eigh
    rng = np.random.default_rng(0)
    a = rng.normal(size=(40, 40))
    s = a @ a.T + 40 * np.eye(40)
    np.testing.assert_allclose(cholesky(s), np.linalg.cholesky(s), rtol=1e-12, atol=1e-12)
    w, v = eigh(s)
    np.testing.assert_allclose(w, np.linalg.eigvalsh(s), rtol=1e-12)
    np.testing.assert_allclose((v * w) @ v.T, s, rtol=1e-10, atol=1e-9)
    with pytest.raises(np.linalg.LinAlgError):
        cholesky(-np.eye(3))



def test_one_blas_thread_limits_numpys_blas_each_time_and_restores_it():
    # the controller is made once and reused: every block must still run on one thread and give back the
    # limits it found (threadpool_info scans afresh, so it is an independent reading)
    from threadpoolctl import threadpool_info

    from tradeflow.core.linalg import one_blas_thread

    def blas_threads():
        return {i["filepath"]: i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}

    before = blas_threads()
    assert any("numpy" in path for path in before)  # numpy's own BLAS, the one numpy.linalg calls
    for _ in range(2):
        with one_blas_thread():
            inside = blas_threads()
        assert set(inside.values()) == {1}
        assert blas_threads() == before



def _grid_market(times):
    from tradeflow.market.paths import MarketData

    z = np.zeros((1, times.shape[0]))
    return MarketData(times=times, mid=z, bid=z, ask=z, fx=z + 1, instruments=None, currencies=("USD",),
                      trade_date=np.datetime64("2026-01-02"))


@given(n=st.integers(1, 50), dt=st.one_of(st.integers(1, 4), st.integers(1, 10**9)), t0=st.integers(-10**12, 10**12),
       gap=st.sampled_from([0, 0, 1, 7 * 10**9]), data=st.data())
def test_step_of_is_the_last_grid_point_at_or_before(n, dt, t0, gap, data):
    # the reference: a binary search of the grid (the regular grid's integer division must equal it, and
    # a grid with a gap, as joined sessions have, must take the binary search); times on, just before and
    # just after grid points, and off both ends
    times = t0 + dt * np.arange(n, dtype=np.int64)
    if gap and n > 2:
        times[n // 2:] += gap
    near = st.tuples(st.sampled_from(times.tolist()), st.sampled_from([-1, 0, 1])).map(sum)
    anywhere = st.integers(int(times[0]) - 3 * dt, int(times[-1]) + 3 * dt)
    ts = np.array(data.draw(st.lists(st.one_of(near, anywhere), max_size=40)), np.int64)
    want = np.clip(np.searchsorted(times, ts, side="right") - 1, 0, n - 1)
    got = _grid_market(times).step_of(ts)
    np.testing.assert_array_equal(got, want)
    assert got.dtype == np.int64


@pytest.mark.parametrize("dt", [1, 3, 1_000_000_000])
def test_step_of_every_time_around_a_regular_grid(dt):
    times = 1_700_000_000 * 10**9 + dt * np.arange(7, dtype=np.int64)
    ts = (times[:, None] + np.array([-2, -1, 0, 1, 2])[None, :]).ravel()
    ts = np.concatenate([ts, np.arange(times[0] - 3 * dt, times[-1] + 3 * dt)]) if dt < 10 else ts
    np.testing.assert_array_equal(_grid_market(times).step_of(ts),
                                  np.clip(np.searchsorted(times, ts, side="right") - 1, 0, 6))
