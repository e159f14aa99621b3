"""Value at Risk and Expected Shortfall: historical, parametric (delta-normal, delta-gamma), Monte Carlo.

Conventions
-----------
* P&L is positive for a gain; VaR and ES are reported as **positive losses**.
* Historical quantile: with ``n`` scenarios and losses ``L = -pnl`` sorted ascending, VaR at
  level ``a`` is ``L[ceil(n a) - 1]``, the empirical (inverted-CDF) quantile, equal to
  ``numpy.quantile(L, a, method="inverted_cdf")``: at most ``n (1 - a)`` scenarios lose more.
* ES at level ``b`` is the mean of the ``n - ceil(n b)`` losses strictly **beyond** the
  ``b``-VaR (for losses 1..1000 at 99%: VaR 990, ES mean(991..1000) = 995.5); with an empty
  tail it is the ``b``-VaR.
* Horizons: ``horizon_days`` scales 1-day figures by ``sqrt(horizon_days)`` for historical VaR;
  parametric and Monte Carlo VaR scale the covariance by the horizon and, for options, also
  shorten the time to expiry by ``horizon_days / 365``.
* EWMA covariance (RiskMetrics): ``S = sum_t w_t r_t r_t'`` with ``w_t`` proportional to
  ``lambda^(T-1-t)`` over the window (the last column is the most recent), zero mean.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tradeflow.core.linalg import eigh, ordered_matmul
from tradeflow.middle import _risk_kernels as rk
from tradeflow.middle.instruments import InstrumentRisk

__all__ = ["var_es", "historical_var_es", "ewma_covariance", "delta_normal_var", "delta_gamma_var",
           "monte_carlo_var", "component_var"]



def _norm_ppf(q):
    """The standard normal quantile (scipy.stats imported on first use: it is slow to import)."""
    from scipy import stats

    return stats.norm.ppf(q)

def _level(name: str, v: float) -> float:
    if not (isinstance(v, int | float) and not isinstance(v, bool) and 0.0 < v < 1.0):
        raise ValueError(f"The {name!r} argument must be a confidence level in (0, 1). Got {v!r} instead.")
    return float(v)


def _pnl_vector(pnl) -> np.ndarray:
    a = np.ascontiguousarray(pnl, dtype=np.float64)
    if a.ndim != 1 or a.shape[0] == 0:
        raise ValueError(f"scenario P&L must be a non-empty 1-d array. Got shape {a.shape}.")
    if not np.all(np.isfinite(a)):
        raise ValueError("scenario P&L must be finite")
    return a


def var_es(pnl, var_level: float = 0.99, es_level: float = 0.975) -> tuple[float, float]:
    """Historical VaR and ES of one scenario P&L vector (the kernel the engine runs after every fill).

    Examples
    --------
    >>> var_es(-np.arange(1.0, 1001.0), 0.99, 0.99)
    (990.0, 995.5)
    """
    a = _pnl_vector(pnl)
    lv, le = _level("var_level", var_level), _level("es_level", es_level)
    buf = np.empty(max(rk.tail_size_nb(a.shape[0], lv), rk.tail_size_nb(a.shape[0], le)) + 2)
    v, e = rk.var_es_nb(a, lv, le, buf)
    return float(v), float(e)


def historical_var_es(scenario_pnl: pd.DataFrame | np.ndarray, *, var_level: float = 0.99,
                      es_level: float = 0.975, horizon_days: int = 1) -> pd.DataFrame:
    """VaR and ES per row of a scenario P&L matrix (e.g. one row per book).

    Parameters
    ----------
    scenario_pnl : DataFrame or 2-d array of shape (n_portfolios, n_scenarios)
    var_level, es_level : float
    horizon_days : int, default=1
        Square-root-of-time scaling.

    Returns
    -------
    DataFrame with columns ``var, es`` indexed like the rows.
    """
    index = scenario_pnl.index if isinstance(scenario_pnl, pd.DataFrame) else None
    m = np.atleast_2d(np.asarray(scenario_pnl, dtype=np.float64))
    scale = np.sqrt(horizon_days)
    rows = [var_es(row, var_level, es_level) for row in m]
    return pd.DataFrame(np.array(rows).reshape(-1, 2) * scale, columns=["var", "es"], index=index)


def ewma_covariance(returns: np.ndarray, lam: float = 0.94) -> np.ndarray:
    """RiskMetrics EWMA covariance of returns of shape (n_instruments, n_days), last day most recent."""
    r = np.asarray(returns, dtype=np.float64)
    if r.ndim != 2 or r.shape[1] < 2:
        raise ValueError(f"returns must have shape (n_instruments, n_days >= 2). Got {r.shape}.")
    if not 0.0 < lam < 1.0:
        raise ValueError(f"The 'lam' argument of ewma_covariance must be in (0, 1). Got {lam!r} instead.")
    t = r.shape[1]
    w = lam ** np.arange(t - 1, -1, -1, dtype=np.float64)
    w /= w.sum()
    return (r * w) @ r.T


def delta_normal_var(dollar_delta: np.ndarray, cov: np.ndarray, *, level: float = 0.99,
                     horizon_days: int = 1) -> float:
    """Delta-normal VaR: ``z_level * sqrt(d' S d * horizon)``, ``d`` the base-currency deltas per
    1.00 relative move of each risk factor (``position value`` for a linear position)."""
    d = np.asarray(dollar_delta, dtype=np.float64)
    c = np.asarray(cov, dtype=np.float64)
    var_1 = float(d @ c @ d)
    return float(_norm_ppf(_level("level", level)) * np.sqrt(max(var_1, 0.0) * horizon_days))


def delta_gamma_var(dollar_delta: np.ndarray, dollar_gamma: np.ndarray, cov: np.ndarray, *, level: float = 0.99,
                    horizon_days: int = 1, cornish_fisher: bool = True) -> float:
    """Delta-gamma VaR of ``dP = d'r + r' G r / 2`` with ``r ~ N(0, S h)``.

    Uses the exact first three moments of the quadratic form (mean ``tr(GS)/2``, variance
    ``d'Sd + tr((GS)^2)/2``, third central moment ``3 d'SGSd + tr((GS)^3)``) and the
    Cornish-Fisher quantile (or the normal quantile with ``cornish_fisher=False``).
    ``dollar_gamma`` is a vector (one underlying per factor, diagonal) or a matrix.
    """
    d = np.asarray(dollar_delta, dtype=np.float64)
    g = np.asarray(dollar_gamma, dtype=np.float64)
    g = np.diag(g) if g.ndim == 1 else g
    s = np.asarray(cov, dtype=np.float64) * horizon_days
    gs = g @ s
    mean = 0.5 * np.trace(gs)
    var = float(d @ s @ d + 0.5 * np.trace(gs @ gs))
    if var <= 0:
        return float(max(-mean, 0.0))
    sd = np.sqrt(var)
    m3 = float(3.0 * d @ s @ g @ s @ d + np.trace(gs @ gs @ gs))
    z = _norm_ppf(1.0 - _level("level", level))
    q = z + (z * z - 1.0) * (m3 / sd**3) / 6.0 if cornish_fisher else z
    return float(-(mean + sd * q))


def monte_carlo_var(pos: np.ndarray, inst: InstrumentRisk, marks: np.ndarray, fx_inst: np.ndarray, cov: np.ndarray,
                    rng: np.random.Generator, *, ts: int, n_paths: int = 10_000, horizon_days: int = 1,
                    var_level: float = 0.99, es_level: float = 0.975) -> pd.DataFrame:
    """Monte Carlo VaR/ES with full revaluation of options, per book and for the desk.

    Log returns of the instruments are drawn ``N(-diag(S h)/2, S h)``; linear positions move
    with them, options are repriced with Black-Scholes-Merton at the moved underlying and
    ``horizon_days / 365`` less time to expiry.

    Parameters
    ----------
    pos : int64 ndarray of shape (n_books, n_instruments)
    cov : ndarray of shape (n_instruments, n_instruments)
        Daily covariance of log returns (e.g. :func:`ewma_covariance`); option rows are ignored.
    rng : numpy.random.Generator

    Returns
    -------
    DataFrame with columns ``var, es`` indexed by book, with a ``"desk"`` row.
    """
    pos = np.asarray(pos, dtype=np.int64)
    n_inst = inst.n
    c = np.asarray(cov, dtype=np.float64) * horizon_days
    lin = ~inst.is_option
    c_lin = c[np.ix_(lin, lin)]
    w, v = eigh(c_lin)  # on one BLAS thread: the same bits on a worker and a driver
    root = v * np.sqrt(np.clip(w, 0.0, None))
    z = rng.standard_normal((int(lin.sum()), int(n_paths)))
    r = np.zeros((n_inst, int(n_paths)))
    r[lin] = np.expm1(ordered_matmul(root, z) - 0.5 * np.diag(c_lin)[:, None])  # the same bits on any machine
    unit = np.empty_like(r)
    rk.unit_scenario_pnl_nb(inst.asset_class, inst.underlying, inst.multiplier, inst.strike, inst.expiry_years(ts),
                            inst.vol, inst.rate, inst.div_yield, inst.call_put, np.asarray(marks, np.float64), r,
                            inst.currency_id, np.zeros((int(inst.currency_id.max(initial=0)) + 1, int(n_paths))),
                            horizon_days / 365.0, 0.0, unit)
    books = np.empty((pos.shape[0], int(n_paths)))
    rk.book_scenario_pnl_nb(pos, np.asarray(fx_inst, np.float64), unit, books)
    m = np.vstack([books, books.sum(axis=0)])
    out = historical_var_es(m, var_level=var_level, es_level=es_level)
    out.index = [*range(pos.shape[0]), "desk"]
    out.index.name = "book"
    return out


def component_var(book_pnl: np.ndarray, *, level: float = 0.99) -> pd.DataFrame:
    """Component, marginal and stand-alone historical VaR per book.

    * ``component``: each book's loss in the desk's VaR scenario (Euler allocation for
      historical VaR); the components sum to the desk VaR exactly.
    * ``incremental``: desk VaR minus the desk VaR without the book (what removing it saves).
    * ``standalone``: the book's own VaR.

    Parameters
    ----------
    book_pnl : ndarray of shape (n_books, n_scenarios)
        Scenario P&L per book (the engine keeps these current after every fill).
    """
    m = np.asarray(book_pnl, dtype=np.float64)
    if m.ndim != 2:
        raise ValueError(f"book_pnl must be 2-d (n_books, n_scenarios). Got shape {m.shape}.")
    desk = m.sum(axis=0)
    lv = _level("level", level)
    s = int(rk.var_es_sorted_index_nb(desk, lv))
    desk_var = var_es(desk, lv, lv)[0]
    rows = []
    for b in range(m.shape[0]):
        without = desk - m[b]
        rows.append({"book": b, "component": -m[b, s], "incremental": desk_var - var_es(without, lv, lv)[0],
                     "standalone": var_es(m[b], lv, lv)[0]})
    df = pd.DataFrame(rows).set_index("book")
    df.attrs["desk_var"] = desk_var
    return df
