"""VaR backtesting: exceptions, Kupiec POF, Christoffersen independence and conditional coverage, Basel zones.

An exception is a day whose loss exceeded the VaR forecast made at the previous close
(``-pnl > var``). With ``n`` days, ``x`` exceptions and expected rate ``p = 1 - level``:

* Kupiec (1995) proportion of failures: ``LR_pof = -2 ln[(1-p)^(n-x) p^x / ((1-x/n)^(n-x) (x/n)^x)]``,
  chi-square with 1 degree of freedom.
* Christoffersen (1998) independence: from the transition counts ``n_ij`` (state i then j,
  1 = exception), ``LR_ind = -2 ln[(1-pi)^(n00+n10) pi^(n01+n11) / ((1-pi0)^n00 pi0^n01 (1-pi1)^n10 pi1^n11)]``,
  chi-square with 1 degree of freedom; conditional coverage ``LR_cc = LR_pof + LR_ind``, 2 degrees.
* Basel traffic light: the cumulative binomial probability of ``x`` exceptions decides the zone:
  green below 95%, red at or above 99.99%, yellow between. For 250 days at 99% that is green
  0-4, yellow 5-9, red 10 or more (the Basel Committee's 1996 table).
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass

import numpy as np

from tradeflow.core.log import TradeflowWarning

__all__ = ["BacktestResult", "var_backtest", "kupiec_pof", "christoffersen", "traffic_light"]


def _stats():
    """scipy.stats, imported on first use (it takes longer to import than the rest of tradeflow)."""
    from scipy import stats

    return stats


def _xlogy(x, y):
    from scipy.special import xlogy

    return xlogy(x, y)


@dataclass(frozen=True, slots=True)
class BacktestResult:
    """What a VaR backtest found."""

    n_days: int
    exceptions: int
    expected: float
    exception_rate: float
    kupiec_lr: float
    kupiec_pvalue: float
    independence_lr: float
    independence_pvalue: float
    conditional_coverage_lr: float
    conditional_coverage_pvalue: float
    zone: str

    def to_dict(self) -> dict:
        return asdict(self)


def _loglik(n_fail: float, n_ok: float, p: float) -> float:
    return float(_xlogy(n_ok, 1.0 - p) + _xlogy(n_fail, p))


def kupiec_pof(exceptions: int, n_days: int, level: float = 0.99) -> tuple[float, float]:
    """Kupiec's proportion-of-failures likelihood ratio and its chi-square(1) p-value."""
    p = 1.0 - level
    x, n = int(exceptions), int(n_days)
    lr = -2.0 * (_loglik(x, n - x, p) - _loglik(x, n - x, x / n if n else 0.0))
    lr = max(lr, 0.0)
    return lr, float(_stats().chi2.sf(lr, 1))


def christoffersen(hits: np.ndarray) -> tuple[float, float]:
    """Christoffersen's independence likelihood ratio of an exception series and its chi-square(1) p-value."""
    h = np.asarray(hits, dtype=bool)
    if h.size < 2:
        return 0.0, 1.0
    prev, cur = h[:-1], h[1:]
    n00 = int(np.sum(~prev & ~cur))
    n01 = int(np.sum(~prev & cur))
    n10 = int(np.sum(prev & ~cur))
    n11 = int(np.sum(prev & cur))
    pi0 = n01 / (n00 + n01) if n00 + n01 else 0.0
    pi1 = n11 / (n10 + n11) if n10 + n11 else 0.0
    pi = (n01 + n11) / (n00 + n01 + n10 + n11)
    lr = -2.0 * (_loglik(n01 + n11, n00 + n10, pi) - _loglik(n01, n00, pi0) - _loglik(n11, n10, pi1))
    lr = max(lr, 0.0)
    return lr, float(_stats().chi2.sf(lr, 1))


def traffic_light(exceptions: int, n_days: int = 250, level: float = 0.99) -> str:
    """Basel traffic-light zone ("green", "yellow", "red") of ``exceptions`` in ``n_days``.

    The Basel rule is calibrated for 250 days; over fewer it is indicative only (a
    :class:`~tradeflow.TradeflowWarning` says so), and no exceptions is always green (over a
    handful of days its cumulative probability exceeds 95%).

    >>> traffic_light(4, 250), traffic_light(5, 250), traffic_light(10, 250)
    ('green', 'yellow', 'red')
    """
    if int(n_days) < 250:
        warnings.warn(f"a Basel traffic light over {int(n_days)} days (fewer than the 250 it is calibrated "
                      "for) is indicative only", TradeflowWarning, stacklevel=2)
    return _zone(exceptions, n_days, level)


def _zone(exceptions: int, n_days: int, level: float) -> str:
    x = int(exceptions)
    cum = float(_stats().binom.cdf(x, int(n_days), 1.0 - level))
    if x == 0 or cum < 0.95:
        return "green"
    if cum < 0.9999:
        return "yellow"
    return "red"


def var_backtest(pnl: np.ndarray, var: np.ndarray, *, level: float = 0.99) -> BacktestResult:
    """Backtest daily VaR forecasts against realized P&L.

    Parameters
    ----------
    pnl : float ndarray of shape (n_days,)
        Realized P&L of each day (positive = gain).
    var : float ndarray of shape (n_days,)
        The VaR (positive loss) forecast for that day, made at the previous close.
    level : float, default=0.99

    Examples
    --------
    >>> r = var_backtest(np.r_[-np.ones(3) * 5, np.zeros(247)], np.ones(250), level=0.99)
    >>> r.exceptions, r.zone
    (3, 'green')
    """
    pnl = np.asarray(pnl, dtype=np.float64)
    var = np.asarray(var, dtype=np.float64)
    if pnl.shape != var.shape or pnl.ndim != 1 or pnl.size == 0:
        raise ValueError(f"pnl and var must be 1-d arrays of the same non-zero length. Got {pnl.shape}, {var.shape}.")
    if not (np.all(np.isfinite(pnl)) and np.all(np.isfinite(var))):
        raise ValueError("pnl and var must be finite")
    if not 0.0 < level < 1.0:
        raise ValueError(f"The 'level' argument of var_backtest must be in (0, 1). Got {level!r} instead.")
    hits = -pnl > var
    n, x = int(pnl.size), int(hits.sum())
    lr_pof, p_pof = kupiec_pof(x, n, level)
    lr_ind, p_ind = christoffersen(hits)
    lr_cc = lr_pof + lr_ind
    return BacktestResult(n_days=n, exceptions=x, expected=n * (1.0 - level), exception_rate=x / n,
                          kupiec_lr=lr_pof, kupiec_pvalue=p_pof, independence_lr=lr_ind, independence_pvalue=p_ind,
                          conditional_coverage_lr=lr_cc, conditional_coverage_pvalue=float(_stats().chi2.sf(lr_cc, 2)),
                          zone=_zone(x, n, level))  # a run shorter than 250 days: indicative (see the docs)
