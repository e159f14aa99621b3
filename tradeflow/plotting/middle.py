"""Middle-office plots: P&L and exposure, risk against limits, limit breaches."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

from tradeflow.plotting._common import (
    _TITLES,
    _axes,
    _break_at_closes,
    _date_axis,
    _empty,
    _naive_utc,
    _require,
    plot_timeseries,
)


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
