"""Plots of a run on matplotlib (optional: ``pip install "tradeflow[plot]"``).

Each function takes the table it draws (a DataFrame as :class:`~tradeflow.RunResult` exposes
it), draws on ``ax`` (a new figure when ``ax`` is None) and returns the axes, so plots compose
into a figure the analyst lays out. The ``RunResult.plot_*`` methods pass the right tables.

The functions read columns by name, not record layouts, so a table that grows a column is
drawn with it: :func:`plot_breaks` stacks by age when the breaks carry ``age_days``, and
:func:`plot_timeseries` draws any per-group series (P&L, exposure, later VaR) against time,
with an optional limit line.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = [
    "plot_timeseries", "plot_pnl", "plot_positions", "plot_prices", "plot_orders", "plot_settlements",
    "plot_breaks", "STATUS_COLORS",
    "plot_risk", "plot_breaches", "plot_settlement_history", "plot_fails", "plot_penalties", "plot_explain",
    "EXPLAIN_COMPONENTS",
]

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


def plot_pnl(pnl: pd.DataFrame, *, value: str = "total_pnl", ax: Axes | None = None, desk: bool = True,
             currency: str | None = None) -> Axes:
    """P&L (or exposure) per book through the run, with the desk total.

    Parameters
    ----------
    pnl : DataFrame
        ``RunResult.pnl``: snapshots indexed by UTC time with ``book`` and the P&L columns.
    value : {"total_pnl", "realized_pnl", "unrealized_pnl", "fees", "gross_exposure", "net_exposure"}
    ax : matplotlib Axes, optional
    desk : bool, default=True
        Draw the sum over books.
    currency : str, optional
        The base currency, for the axis label.
    """
    unit = f" ({currency})" if currency else ""
    return plot_timeseries(pnl, value, by="book", ax=ax, total="desk" if desk else None,
                           title=f"{_TITLES.get(value, value)} by book", ylabel=f"{_TITLES.get(value, value)}{unit}")


# --------------------------------------------------------------------------- positions and prices
def plot_positions(fills: pd.DataFrame, *, ax: Axes | None = None, book: int | None = None,
                   instruments: Sequence[str] | None = None, start: pd.DataFrame | None = None) -> Axes:
    """Net position per instrument through the run, built from the fills.

    Parameters
    ----------
    fills : DataFrame
        ``RunResult.fills`` (``ts``, ``book``, ``instrument``, ``side``, ``qty``).
    ax : matplotlib Axes, optional
    book : int, optional
        One book only; default is the whole desk.
    instruments : sequence of str, optional
        Which symbols to draw; default is every symbol that traded.
    start : DataFrame, optional
        Opening positions (``instrument``, ``qty`` and, if ``book`` is given, ``book``); the run
        starts flat when omitted.
    """
    ax = _axes(ax)
    _require(fills, ["ts", "instrument", "side", "qty"], "plot_positions")
    f = fills if book is None else fills[fills["book"] == book]
    if instruments is not None:
        f = f[f["instrument"].isin(list(instruments))]
    if f.empty:
        return _empty(ax, "no fills")
    sign = np.where(f["side"].astype(str).to_numpy() == "BUY", 1, -1)
    signed = pd.DataFrame({"ts": f["ts"].to_numpy(), "instrument": f["instrument"].astype(str).to_numpy(),
                           "qty": sign * f["qty"].to_numpy()})
    opening: dict[str, float] = {}
    if start is not None and len(start):
        s = start if book is None else start[start["book"] == book]
        opening = s.groupby(s["instrument"].astype(str))["qty"].sum().to_dict()
    for sym, g in signed.sort_values("ts", kind="stable").groupby("instrument", sort=True):
        qty = opening.get(sym, 0) + np.cumsum(g["qty"].to_numpy())
        ax.step(_naive_utc(g["ts"]), qty, where="post", lw=1.2, label=sym)
    ax.axhline(0.0, color="0.6", lw=0.6)
    ax.set_xlabel("time (UTC)")
    ax.set_ylabel("net position (units)")
    ax.set_title("positions" + (f", book {book}" if book is not None else ", desk"))
    ax.legend(loc="best", fontsize="small", ncol=2)
    _date_axis(ax)
    return ax


def plot_prices(mid: pd.Series, *, bid: pd.Series | None = None, ask: pd.Series | None = None,
                fills: pd.DataFrame | None = None, ax: Axes | None = None, max_fills: int = 2_000) -> Axes:
    """One instrument's mid (and bid/ask band) with the desk's buy and sell fills on top.

    Parameters
    ----------
    mid : Series
        Mid prices indexed by UTC time; its name is used as the title.
    bid, ask : Series, optional
        Drawn as a shaded band.
    fills : DataFrame, optional
        Fills of this instrument (``ts``, ``side``, ``price``): buys as green up-triangles,
        sells as red down-triangles.
    ax : matplotlib Axes, optional
    max_fills : int, default=2000
        Draw an evenly spaced subset beyond this many fills (a scatter of 50,000 points says no more).
    """
    ax = _axes(ax)
    x, (m, b, a) = _break_at_closes(_naive_utc(mid.index), mid, bid, ask)
    if b is not None and a is not None:
        ax.fill_between(x, b, a, color="0.85", step="post", label="bid/ask")
    ax.plot(x, m, color="0.2", lw=0.8, label="mid")
    if fills is not None and len(fills):
        _require(fills, ["ts", "side", "price"], "plot_prices")
        f = fills.iloc[np.linspace(0, len(fills) - 1, max_fills).astype(int)] if len(fills) > max_fills else fills
        side = f["side"].astype(str).to_numpy()
        for label, marker, color in (("BUY", "^", _BUY), ("SELL", "v", _SELL)):
            g = f[side == label]
            ax.scatter(_naive_utc(g["ts"]), g["price"].to_numpy(), marker=marker, s=14, color=color,
                       alpha=0.7, label=f"{label.lower()} fills", zorder=3)
    ax.set_xlabel("time (UTC)")
    ax.set_ylabel("price")
    if mid.name is not None:
        ax.set_title(str(mid.name))
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


def plot_orders(orders: pd.DataFrame, *, freq: str = "30min", ax: Axes | None = None) -> Axes:
    """Order flow: client orders arriving per interval, stacked by final status.

    Parameters
    ----------
    orders : DataFrame
        ``RunResult.orders`` (``ts``, ``status``).
    freq : str, default="30min"
        A pandas offset alias for the interval.
    ax : matplotlib Axes, optional
    """
    ax = _axes(ax)
    _require(orders, ["ts", "status"], "plot_orders")
    if orders.empty:
        return _empty(ax, "no orders")
    ts = pd.DatetimeIndex(_naive_utc(orders["ts"]))
    table = pd.crosstab(ts.floor(freq), orders["status"].astype(str).to_numpy())
    table = _by_status(table.loc[:, (table > 0).any()])
    _stacked_bars(ax, table, colors=STATUS_COLORS)
    labels = [t.strftime("%m-%d %H:%M") for t in table.index]
    step = max(1, len(labels) // 12)
    ax.set_xticks(np.arange(len(labels))[::step], labels[::step], rotation=45, ha="right")
    ax.set_xlabel(f"arrival ({freq} intervals, UTC)")
    ax.set_ylabel("orders")
    ax.set_title("order flow by final status")
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_settlements(settlements: pd.DataFrame, *, value: str = "count", ax: Axes | None = None) -> Axes:
    """Settlement instructions by settlement date, stacked by status.

    Parameters
    ----------
    settlements : DataFrame
        ``RunResult.settlements`` (``settle_date``, ``status`` and, for ``value="cash"``, ``cash_amount``
        and ``currency``).
    value : {"count", "cash"}, default="count"
        Count instructions, or sum the absolute cash legs (minor units, per currency: one panel
        of bars per currency would mix units, so cash is only summed within one currency —
        pass a frame filtered to one currency).
    ax : matplotlib Axes, optional
    """
    ax = _axes(ax)
    _require(settlements, ["settle_date", "status"], "plot_settlements")
    if value not in ("count", "cash"):
        raise ValueError(f"The 'value' parameter of plot_settlements must be 'count' or 'cash'. Got {value!r}.")
    if settlements.empty:
        return _empty(ax, "no settlement instructions")
    dates = pd.DatetimeIndex(settlements["settle_date"]).strftime("%Y-%m-%d")
    status = settlements["status"].astype(str).to_numpy()
    if value == "cash":
        _require(settlements, ["cash_amount", "currency"], "plot_settlements(value='cash')")
        ccys = settlements["currency"].astype(str).unique()
        if len(ccys) > 1:
            raise ValueError(f"plot_settlements(value='cash') sums one currency at a time; got {sorted(ccys)}: "
                             f"filter the frame to one currency first")
        table = pd.crosstab(dates, status, values=settlements["cash_amount"].abs().to_numpy(), aggfunc="sum")
        table = table.fillna(0)
        ylabel = f"|cash| ({ccys[0]}, minor units)"
    else:
        table = pd.crosstab(dates, status)
        ylabel = "instructions"
    table = _by_status(table)
    _stacked_bars(ax, table, colors=STATUS_COLORS)
    ax.set_xticks(np.arange(len(table)), list(table.index), rotation=45, ha="right")
    ax.set_xlabel("settlement date")
    ax.set_ylabel(ylabel)
    ax.set_title("settlements by date and status")
    ax.legend(loc="best", fontsize="small")
    return ax


def _age_bucket(age: pd.Series) -> pd.Categorical:
    labels = [b[0] for b in AGE_BUCKETS]
    edges = [AGE_BUCKETS[0][1]] + [b[2] for b in AGE_BUCKETS]
    return pd.cut(age.astype(float), bins=edges, labels=labels, right=False)


def plot_breaks(breaks: pd.DataFrame, *, ax: Axes | None = None, stack: str | None = None,
                latest: bool = True) -> Axes:
    """Reconciliation breaks by kind, stacked by age (or by reconciliation date).

    Parameters
    ----------
    breaks : DataFrame
        ``RunResult.breaks``: a ``kind`` column and, when present, ``age_days`` (business days a
        break has been open) or ``as_of`` (the reconciliation date).
    ax : matplotlib Axes, optional
    stack : {"age_days", "as_of"}, optional
        What to stack by; default ``age_days`` when the column exists, else ``as_of`` when the
        breaks span more than one reconciliation, else nothing.
    latest : bool, default=True
        When stacking by age, draw only the last reconciliation's breaks: an open break is
        reported again at every end of day, so summing over days would count it once per day.

    Returns
    -------
    matplotlib Axes
        A "no breaks" note on an empty frame: a clean run is a result worth showing.
    """
    ax = _axes(ax)
    _require(breaks, ["kind"], "plot_breaks")
    if stack is None:
        if "age_days" in breaks.columns:
            stack = "age_days"
        elif "as_of" in breaks.columns and breaks["as_of"].nunique() > 1:
            stack = "as_of"
    elif stack not in breaks.columns:
        raise ValueError(f"The 'stack' parameter of plot_breaks names a missing column. Got {stack!r}; "
                         f"columns are {list(breaks.columns)}.")
    ax.set_title("reconciliation breaks by kind")
    ax.set_ylabel("breaks")
    if stack == "age_days" and latest and "as_of" in breaks.columns and len(breaks):
        last = breaks["as_of"].max()
        breaks = breaks[breaks["as_of"] == last]
        ax.set_title(f"open breaks by kind and age, as of {pd.Timestamp(last):%Y-%m-%d}")
    if breaks.empty:
        ax.set_xticks([])
        return _empty(ax, "no breaks: front and back office agree")
    kind = breaks["kind"].astype(str).to_numpy()
    if stack == "age_days":
        table = pd.crosstab(kind, _age_bucket(breaks["age_days"]), dropna=False)
        table = table[[c for c in table.columns if table[c].sum() > 0]]
    elif stack is not None:
        col = breaks[stack]
        col = pd.DatetimeIndex(col).strftime("%Y-%m-%d") if stack == "as_of" else col.astype(str)
        table = pd.crosstab(kind, np.asarray(col))
    else:
        table = pd.crosstab(kind, np.full(len(kind), "breaks"))
    table = table.loc[table.sum(axis=1).sort_values(ascending=False).index]
    _stacked_bars(ax, table)
    ax.set_xticks(np.arange(len(table)), list(table.index), rotation=30, ha="right")
    ax.set_xlabel("kind")
    if stack is not None:
        ax.legend(title={"age_days": "age", "as_of": "reconciled"}.get(stack, stack), loc="best", fontsize="small")
    return ax


# --------------------------------------------------------------------------- risk and limits
_LEVEL_STYLE = {"WARNING": ("#ff9f1c", "^"), "BREACH": ("#d62728", "X"), "CLEARED": ("#2ca02c", "o")}
_RISK_TITLES = {"var_1d": "1-day VaR", "es_1d": "1-day ES", "var_10d": "10-day VaR", "es_10d": "10-day ES",
                "drawdown": "drawdown", "gross_exposure": "gross exposure", "concentration": "concentration"}


def plot_risk(risk: pd.DataFrame, *, value: str = "var_1d", es: bool = False, books: Sequence[int] | None = None,
              book_limit: float | None = None, desk_limit: float | None = None, ax: Axes | None = None,
              currency: str | None = None) -> Axes:
    """A risk measure per book and for the desk through the run, with the limits as lines.

    Parameters
    ----------
    risk : DataFrame
        ``RunResult.risk``: snapshots indexed by UTC time with ``book`` (-1 is the desk) and the
        measures (``var_1d``, ``es_1d``, ``var_10d``, ``es_10d``, ``drawdown`` …).
    value : str, default="var_1d"
        The measure to draw.
    es : bool, default=False
        Also draw the matching expected shortfall (``var_1d`` -> ``es_1d``) dashed, in the same colour.
    books : sequence of int, optional
        Which books to draw (-1 for the desk); default all.
    book_limit, desk_limit : float, optional
        Limit lines (``LimitsConfig.book_var`` / ``desk_var`` for VaR); 0 or None draws none.
    ax : matplotlib Axes, optional
    currency : str, optional
        The base currency, for the axis label.
    """
    ax = _axes(ax)
    es_col = value.replace("var", "es") if es else None
    _require(risk, ["book", value] + ([es_col] if es_col else []), "plot_risk")
    title = _RISK_TITLES.get(value, value)
    ax.set_title(f"{title} by book and desk" + (" (ES dashed)" if es_col else ""))
    ax.set_ylabel(title + (f" ({currency})" if currency else ""))
    ax.set_xlabel("time (UTC)")
    df = risk.reset_index() if "ts" not in risk.columns else risk
    if books is not None:
        df = df[df["book"].isin(list(books))]
    if df.empty:
        return _empty(ax, "no risk snapshots")
    for book, g in df.groupby("book", sort=True):
        desk = book == -1
        label = "desk" if desk else f"book {book}"
        x, (y, e) = _break_at_closes(_naive_utc(g["ts"]), g[value], g[es_col] if es_col else None)
        (line,) = ax.plot(x, y, lw=2.0 if desk else 1.2, color="black" if desk else None, label=label)
        if e is not None:
            ax.plot(x, e, lw=1.0, ls="--", color=line.get_color(), label=f"_{label} ES")
    for lim, label, style in ((book_limit, "book limit", "--"), (desk_limit, "desk limit", ":")):
        if lim:
            ax.axhline(lim, color="#d62728", ls=style, lw=1.2, label=label)
    ax.legend(loc="best", fontsize="small")
    _date_axis(ax)
    return ax


def plot_breaches(breaches: pd.DataFrame, *, ax: Axes | None = None, limits: Sequence[str] | None = None,
                  warning_fraction: float | None = None) -> Axes:
    """Limit events over time: each warning, breach and clearance at its utilisation (value / limit).

    Parameters
    ----------
    breaches : DataFrame
        ``RunResult.breaches`` (``ts``, ``book``, ``limit``, ``level``, ``value``, ``threshold``).
    ax : matplotlib Axes, optional
    limits : sequence of str, optional
        Limit kinds to draw (``"VAR"``, ``"GROSS_EXPOSURE"``, ``"DRAWDOWN"``, ``"CONCENTRATION"``); default all.
    warning_fraction : float, optional
        Draw the warning level too (``LimitsConfig.warning_fraction``).

    Returns
    -------
    matplotlib Axes
        One marker per event; amber triangles warn, red crosses breach, green dots clear.
    """
    ax = _axes(ax)
    _require(breaches, ["ts", "limit", "level", "value", "threshold"], "plot_breaches")
    b = breaches if limits is None else breaches[breaches["limit"].astype(str).isin(list(limits))]
    ax.set_title("limit warnings and breaches")
    ax.set_ylabel("utilisation (value / limit)")
    ax.set_xlabel("time (UTC)")
    if b.empty:
        return _empty(ax, "no limit events: every book stayed inside its limits")
    level = b["level"].astype(str).to_numpy()
    util = b["value"].to_numpy(float) / np.where(b["threshold"].to_numpy(float) != 0, b["threshold"], np.nan)
    ts = _naive_utc(b["ts"])
    for name in [n for n in _LEVEL_STYLE if (level == n).any()] + sorted(set(level) - set(_LEVEL_STYLE)):
        color, marker = _LEVEL_STYLE.get(name, ("0.4", "s"))
        m = level == name
        ax.scatter(ts[m], util[m], marker=marker, s=36, color=color, label=f"{name.lower()} ({m.sum()})", zorder=3)
    ax.axhline(1.0, color="#d62728", ls="--", lw=1, label="limit")
    if warning_fraction:
        ax.axhline(warning_fraction, color="#ff9f1c", ls=":", lw=1, label="warning level")
    ax.legend(loc="best", fontsize="small")
    _date_axis(ax)
    return ax


# --------------------------------------------------------------------------- settlement over days
def plot_settlement_history(history: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Open obligations at each day's end, stacked by status (pending, partially settled, failed,
    and those that settled that day).

    Parameters
    ----------
    history : DataFrame
        ``RunResult.settlement_history`` (``as_of``, ``status``).
    ax : matplotlib Axes, optional
    """
    ax = _axes(ax)
    _require(history, ["as_of", "status"], "plot_settlement_history")
    ax.set_title("obligations at each day's end by status")
    ax.set_ylabel("obligations")
    ax.set_xlabel("business day")
    if history.empty:
        return _empty(ax, "no obligations")
    days = pd.DatetimeIndex(history["as_of"]).strftime("%Y-%m-%d")
    table = _by_status(pd.crosstab(np.asarray(days), history["status"].astype(str).to_numpy()))
    _stacked_bars(ax, table, colors=STATUS_COLORS)
    ax.set_xticks(np.arange(len(table)), list(table.index), rotation=45, ha="right")
    ax.legend(loc="best", fontsize="small")
    return ax


_REASON_COLORS = {"LACK_OF_SECURITIES": "#d62728", "ON_HOLD": "#9467bd", "LATE_MATCHING": "#ff9f1c"}


def plot_fails(history: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Failed obligations at each day's end, stacked by fail reason.

    Parameters
    ----------
    history : DataFrame
        ``RunResult.settlement_history`` (``as_of``, ``status``, ``fail_reason``).
    ax : matplotlib Axes, optional
    """
    ax = _axes(ax)
    _require(history, ["as_of", "status", "fail_reason"], "plot_fails")
    ax.set_title("settlement fails by reason")
    ax.set_ylabel("failed obligations")
    ax.set_xlabel("business day")
    failed = history[history["status"].astype(str) == "FAILED"]
    if failed.empty:
        ax.set_xticks([])
        return _empty(ax, "no settlement fails")
    all_days = np.unique(pd.DatetimeIndex(history["as_of"]).strftime("%Y-%m-%d"))
    days = pd.DatetimeIndex(failed["as_of"]).strftime("%Y-%m-%d")
    table = pd.crosstab(np.asarray(days), failed["fail_reason"].astype(str).to_numpy()).reindex(all_days,
                                                                                                 fill_value=0)
    _stacked_bars(ax, table, colors=_REASON_COLORS)
    ax.set_xticks(np.arange(len(table)), list(table.index), rotation=45, ha="right")
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_penalties(history: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Cumulative settlement penalties per currency over the days (CSDR-style cash penalties;
    positive = paid by the desk, negative = received).

    Parameters
    ----------
    history : DataFrame
        ``RunResult.settlement_history`` (``as_of``, ``currency``, ``penalty`` in minor units).
    ax : matplotlib Axes, optional
    """
    ax = _axes(ax)
    _require(history, ["as_of", "currency", "penalty"], "plot_penalties")
    ax.set_title("cumulative settlement penalties")
    ax.set_ylabel("penalties (minor units; >0 paid)")
    ax.set_xlabel("business day")
    if history.empty:
        return _empty(ax, "no obligations")
    table = pd.crosstab(pd.DatetimeIndex(history["as_of"]).normalize(), history["currency"].astype(str).to_numpy(),
                        values=history["penalty"].to_numpy(), aggfunc="sum").fillna(0).sort_index()
    x = table.index.to_numpy()
    for ccy in table.columns:
        ax.plot(x, table[ccy].cumsum().to_numpy(), lw=1.5, marker="o", ms=4, label=str(ccy))
    ax.axhline(0.0, color="0.6", lw=0.6)
    ax.legend(title="currency", loc="best", fontsize="small")
    _date_axis(ax)
    return ax


# --------------------------------------------------------------------------- P&L explain
EXPLAIN_COMPONENTS: tuple[str, ...] = ("new_trade_pnl", "market_move_pnl", "fees", "penalties", "fx_translation",
                                       "residual")
_EXPLAIN_COLORS = {"new_trade_pnl": "#1f77b4", "market_move_pnl": "#ff7f0e", "fees": "#8c564b",
                   "penalties": "#d62728", "fx_translation": "#9467bd", "residual": "#7f7f7f"}


def plot_explain(explain: pd.DataFrame, *, book: int | None = None, ax: Axes | None = None,
                 currency: str | None = None) -> Axes:
    """Daily P&L explain: the components stacked (gains up, losses down from zero) with the total on top.

    Parameters
    ----------
    explain : DataFrame
        ``RunResult.explain`` (``trade_date``, ``book``, ``total_pnl`` and the components
        ``new_trade_pnl, market_move_pnl, fees, penalties, fx_translation, residual``).
    book : int, optional
        One book; default the desk (the sum over books).
    ax : matplotlib Axes, optional
    currency : str, optional
        The base currency, for the axis label.

    Returns
    -------
    matplotlib Axes
        One bar segment per non-zero component (labelled with its column name) and a black
        marker per day at the total: a visible gap between the stack and the marker would be
        unexplained P&L the residual failed to carry.
    """
    ax = _axes(ax)
    _require(explain, ["trade_date", "book", "total_pnl", *EXPLAIN_COMPONENTS], "plot_explain")
    e = explain if book is None else explain[explain["book"] == book]
    ax.set_title("P&L explain, " + ("desk" if book is None else f"book {book}"))
    ax.set_ylabel("P&L" + (f" ({currency})" if currency else ""))
    ax.set_xlabel("trade date")
    if e.empty:
        ax.set_xticks([])
        return _empty(ax, "no P&L to explain")
    days = pd.DatetimeIndex(e["trade_date"]).strftime("%Y-%m-%d")
    daily = e.groupby(np.asarray(days))[["total_pnl", *EXPLAIN_COMPONENTS]].sum().sort_index()
    x = np.arange(len(daily))
    up, down = np.zeros(len(daily)), np.zeros(len(daily))
    for col in EXPLAIN_COMPONENTS:
        h = daily[col].to_numpy(float)
        if not np.any(np.abs(h) > 1e-6 * max(1.0, np.abs(daily["total_pnl"]).max())):
            continue  # a component that is zero all run (no options, one currency) only clutters the legend
        bottom = np.where(h >= 0, up, down)
        ax.bar(x, h, 0.8, bottom=bottom, label=col, color=_EXPLAIN_COLORS[col],
               hatch="//" if col == "residual" else None)
        up, down = up + np.maximum(h, 0), down + np.minimum(h, 0)
    ax.plot(x, daily["total_pnl"].to_numpy(), ls="none", marker="D", color="black", ms=5, label="total P&L")
    ax.axhline(0.0, color="0.6", lw=0.6)
    ax.set_xticks(x, list(daily.index), rotation=45, ha="right")
    ax.legend(loc="best", fontsize="small")
    return ax
