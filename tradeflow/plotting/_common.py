"""What every plot shares: colours, status order, axes, date ticks and the generic time series."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

# One colour per status across every plot: green done, grey waiting, amber partial, red failed.
STATUS_COLORS: dict[str, str] = {
    "SETTLED": "#2ca02c", "FILLED": "#2ca02c",
    "PENDING": "#9e9e9e", "NEW": "#9e9e9e",
    "PARTIALLY_SETTLED": "#ff9f1c", "PARTIALLY_FILLED": "#ff9f1c",
    "FAILED": "#d62728", "REJECTED": "#d62728",
    "CANCELLED": "#8c564b", "EXPIRED": "#1f77b4",
}
# stacking order, bottom up: done, in progress, waiting, then the ones that did not make it
_STATUS_ORDER = ("FILLED", "SETTLED", "PARTIALLY_FILLED", "PARTIALLY_SETTLED", "NEW", "PENDING", "EXPIRED",
                 "CANCELLED", "REJECTED", "FAILED")
_BUY, _SELL = "#2ca02c", "#d62728"
_TITLES = {"total_pnl": "total P&L", "realized_pnl": "realized P&L", "unrealized_pnl": "unrealized P&L",
           "fees": "fees", "gross_exposure": "gross exposure", "net_exposure": "net exposure"}
# age buckets for breaks, in business days since the break first appeared
AGE_BUCKETS: tuple[tuple[str, float, float], ...] = (
    ("today", -np.inf, 0.5), ("1 day", 0.5, 1.5), ("2-5 days", 1.5, 5.5), (">5 days", 5.5, np.inf))


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError('Plotting needs matplotlib: pip install "tradeflow[plot]"') from exc
    return plt


def _axes(ax: Axes | None, figsize: tuple[float, float] = (9.0, 4.0)) -> Axes:
    if ax is not None:
        return ax
    _, ax = _pyplot().subplots(figsize=figsize, layout="constrained")
    return ax


def _by_status(table: pd.DataFrame) -> pd.DataFrame:
    """Columns in the fixed status stacking order (unknown statuses last, as they came)."""
    known = [s for s in _STATUS_ORDER if s in table.columns]
    return table[known + [c for c in table.columns if c not in _STATUS_ORDER]]


def _naive_utc(index: Any) -> np.ndarray:
    """UTC timestamps as tz-naive datetime64 (what matplotlib's date axis takes without converters)."""
    idx = pd.DatetimeIndex(index)
    if idx.tz is not None:
        idx = idx.tz_convert("UTC").tz_localize(None)
    return idx.to_numpy()


def _date_axis(ax: Axes) -> None:
    """Concise date ticks on this axes only (``autofmt_xdate`` would restyle the caller's whole figure)."""
    import matplotlib.dates as mdates
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns and c != frame.index.name]
    if missing:
        raise ValueError(f"{what} needs the column(s) {missing}; got {list(frame.columns)}")


def _empty(ax: Axes, message: str) -> Axes:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="0.4")
    return ax


# --------------------------------------------------------------------------- time series
def plot_timeseries(frame: pd.DataFrame, value: str, *, by: str | None = None, ax: Axes | None = None,
                    total: str | None = None, limit: float | None = None, title: str | None = None,
                    ylabel: str | None = None) -> Axes:
    """One line per group of ``value`` against the frame's time index (or its ``ts`` column).

    Parameters
    ----------
    frame : DataFrame
        Long format: a UTC ``DatetimeIndex`` (or a ``ts`` column), a ``value`` column and
        optionally a ``by`` column naming the group (book, instrument …).
    value : str
        Column to draw.
    by : str, optional
        Column whose values get one line each.
    ax : matplotlib Axes, optional
    total : str, optional
        Also draw the sum over groups at each time, labelled ``total``.
    limit : float, optional
        Draw a horizontal limit line at this level (and at ``-limit`` when the series goes negative).
    title, ylabel : str, optional

    Returns
    -------
    matplotlib Axes
    """
    ax = _axes(ax)
    _require(frame, [value] + ([by] if by else []), "plot_timeseries")
    df = frame.reset_index() if "ts" not in frame.columns else frame
    if "ts" not in df.columns:
        raise ValueError("plot_timeseries needs a time index or a 'ts' column")
    if df.empty:
        return _empty(ax, f"no {value} to plot")
    wide = (df.pivot_table(index="ts", columns=by, values=value, aggfunc="sum", observed=True) if by
            else df.groupby("ts")[[value]].sum())
    # lines stop at each close: a snapshot series says nothing about the night in between
    x, ys = _break_at_closes(_naive_utc(wide.index), *(wide[c] for c in wide.columns), wide.sum(axis=1))
    for col, y in zip(wide.columns, ys, strict=False):
        ax.plot(x, y, lw=1.2, label=f"{by} {col}" if by else value)
    if total and by:
        ax.plot(x, ys[-1], lw=2.0, color="black", label=total)
    if limit is not None:
        ax.axhline(limit, color="#d62728", ls="--", lw=1, label="limit")
        if np.nanmin(wide.to_numpy()) < 0:
            ax.axhline(-limit, color="#d62728", ls="--", lw=1)
    ax.axhline(0.0, color="0.6", lw=0.6)
    ax.set_xlabel("time (UTC)")
    ax.set_ylabel(ylabel or value)
    if title:
        ax.set_title(title)
    ax.legend(loc="best", fontsize="small")
    _date_axis(ax)
    return ax


def _break_at_closes(x: np.ndarray, *series: pd.Series | None) -> tuple[np.ndarray, list[np.ndarray | None]]:
    """Insert a NaN point in each gap between sessions, so lines stop at the close instead of
    drawing a straight line through the night to the next open."""
    values = [None if s is None else s.to_numpy(dtype=float) for s in series]
    if len(x) < 3:
        return x, values
    dt = np.diff(x).astype("timedelta64[ns]").astype(np.int64)
    gaps = np.flatnonzero(dt > 30 * np.median(dt)) + 1
    if not len(gaps):
        return x, values
    x = np.insert(x, gaps, x[gaps - 1] + 1)
    return x, [None if v is None else np.insert(v, gaps, np.nan) for v in values]


# --------------------------------------------------------------------------- counts over time / dates
def _stacked_bars(ax: Axes, table: pd.DataFrame, *, colors: dict[str, str] | None = None, width: float = 0.8,
                  x: np.ndarray | None = None) -> None:
    """Bars of ``table`` (rows on x, one stacked segment per column)."""
    from matplotlib.ticker import MaxNLocator
    x = np.arange(len(table)) if x is None else x
    if np.issubdtype(table.to_numpy().dtype, np.integer):  # counts: no half orders on the axis
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    bottom = np.zeros(len(table))
    for col in table.columns:
        h = table[col].to_numpy(dtype=float)
        if not h.any():
            continue
        kw = {"color": colors[str(col)]} if colors and str(col) in colors else {}
        ax.bar(x, h, width, bottom=bottom, label=str(col), **kw)
        bottom += h
