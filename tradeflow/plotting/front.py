"""Front-office plots: positions, prices with fills, order flow."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

from tradeflow.plotting._common import (
    _BUY,
    _SELL,
    STATUS_COLORS,
    _axes,
    _break_at_closes,
    _by_status,
    _date_axis,
    _empty,
    _naive_utc,
    _require,
    _stacked_bars,
)


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
