"""tradeflow.core.lsq.nnls against scipy.optimize.nnls (a test-only oracle) and the KKT conditions."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import nnls as scipy_nnls

from tradeflow.core.lsq import nnls
from tradeflow.front.impact import power_law_kernel


@st.composite
def problems(draw):
    m = draw(st.integers(1, 25))
    n = draw(st.integers(1, 25))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(m, n))
    if draw(st.booleans()):  # non-negative columns: the impact fit's kind of problem
        a = np.abs(a)
    if draw(st.booleans()) and n > 1:  # an exactly dependent column
        a[:, -1] = a[:, 0] * 2.0
    return a, rng.normal(size=m) * draw(st.sampled_from([1e-3, 1.0, 1e3]))


@settings(max_examples=300, deadline=None)
@given(problems())
def test_nnls_matches_scipy_and_satisfies_kkt(prob):
    a, b = prob
    x, res = nnls(a, b)
    xs, res_s = scipy_nnls(a, b)
    scale = max(1.0, float(np.abs(b).max()))
    # the optimum's residual is unique even when x is not (dependent columns, m < n)
    assert res == pytest.approx(res_s, rel=1e-9, abs=1e-10 * scale)
    assert res == pytest.approx(float(np.linalg.norm(a @ x - b)), rel=1e-12, abs=1e-14)
    # KKT: primal feasible, dual feasible (no descent direction into the bound), complementary slackness
    assert (x >= 0).all()
    w = a.T @ (b - a @ x)
    tol = 1e-8 * scale * max(1.0, float(np.abs(a).sum(axis=0).max()))
    assert (w[x == 0] <= tol).all()
    assert np.abs(w[x > 0]).max(initial=0.0) <= tol
    if a.shape[0] >= a.shape[1] and np.linalg.matrix_rank(a) == a.shape[1]:  # unique x: it must agree too
        np.testing.assert_allclose(x, xs, rtol=1e-8, atol=1e-10 * scale)


def test_nnls_textbook_cases():
    # scipy's documented examples
    x, r = nnls(np.array([[1, 0], [1, 0], [0, 1]], dtype=float), np.array([2.0, 1.0, 1.0]))
    np.testing.assert_allclose(x, [1.5, 1.0])
    assert r == pytest.approx(np.sqrt(0.5))
    x, r = nnls(np.array([[1, 0], [1, 0], [0, 1]], dtype=float), np.array([-1.0, -1.0, -1.0]))
    assert x.tolist() == [0.0, 0.0] and r == pytest.approx(np.sqrt(3.0))


def test_nnls_bad_input():
    with pytest.raises(ValueError, match=r"'a' must be \(m, n\)"):
        nnls(np.ones((3, 2)), np.ones(4))
    with pytest.raises(ValueError, match="finite"):
        nnls(np.array([[np.nan]]), np.ones(1))
    with pytest.raises(RuntimeError, match="max_iter=0"):
        nnls(np.eye(2), np.ones(2), max_iter=0)


@pytest.mark.parametrize("beta, t0, horizon", [(0.5, 1.0, 23_400.0), (0.3, 5.0, 23_400.0), (0.7, 0.1, 3_600.0),
                                               (0.5, 1.0, 60.0)])
def test_power_law_kernel_fit_is_scipys(beta, t0, horizon):
    """The impact kernel's weights are the ones scipy's NNLS finds for the same design."""
    w, r = power_law_kernel(beta, t0, horizon)
    tau = t0 * np.logspace(-0.5, np.log10(max(horizon / t0, 10.0)) + 0.5, 10)
    t = np.concatenate([[0.0], t0 * np.logspace(-2, np.log10(max(horizon / t0, 10.0)), 200)])
    a = np.exp(-t[:, None] / tau[None, :]) / ((1.0 + t / t0) ** (-beta))[:, None]
    ws, _ = scipy_nnls(a, np.ones_like(t))
    keep = ws > 0
    np.testing.assert_allclose(w, ws[keep], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(r, 1.0 / (tau[keep] * 1e9), rtol=1e-15)


def test_impact_fit_imports_no_scipy_optimize():
    code = ("import sys; from tradeflow.front.impact import transient_impact; "
            "transient_impact(coefficient=1.0, beta=0.5, t0_seconds=1.0, horizon_seconds=23400.0, "
            "daily_volatility_ticks=10.0, daily_volume=1e6); print('scipy.optimize' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
