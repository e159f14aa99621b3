"""Back-office plots: settlements, breaks, settlement history, fails, penalties, P&L explain."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

from tradeflow.plotting._common import (
    AGE_BUCKETS,
    STATUS_COLORS,
    _axes,
    _by_status,
    _date_axis,
    _empty,
    _require,
    _stacked_bars,
)


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
