"""``result.plot``: a run's charts, each fed the right tables and limits of the run."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tradeflow.plotting import back as _back
from tradeflow.plotting import front as _front
from tradeflow.plotting import middle as _middle

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from tradeflow.results import RunResult

__all__ = ["ResultPlots"]


class ResultPlots:
    """The charts of one run (``result.plot``); each draws on ``ax`` (a new figure when None) and returns it.

    ``result.plot_<name>(...)`` is the same as ``result.plot.<name>(...)``.
    """

    def __init__(self, result: RunResult) -> None:
        self._result = result

    def __repr__(self) -> str:
        names = [n for n in vars(type(self)) if not n.startswith("_")]
        return f"<plots of a run: {', '.join(names)}>"

    # ----------------------------------------------------------------- front office
    def positions(self, *, ax: Axes | None = None, book: int | None = None, instruments=None) -> Axes:
        """Net position per instrument through the run (the desk, or one ``book``)."""
        return _front.plot_positions(self._result.fills, ax=ax, book=book, instruments=instruments)

    def prices(self, instrument: str | None = None, *, ax: Axes | None = None, fills: bool = True,
               quotes: bool = True) -> Axes:
        """One instrument's mid and bid/ask with the desk's fills; default: the most traded instrument."""
        r = self._result
        f = r.fills
        if instrument is None:
            instrument = (str(f["instrument"].value_counts().index[0]) if len(f)
                          else str(r.instruments["symbol"].iloc[0]))
        if instrument not in set(r.instruments["symbol"]):
            raise ValueError(f"The 'instrument' parameter of plot_prices must be one of "
                             f"{list(r.instruments['symbol'])}. Got {instrument!r} instead.")
        mid = r.prices("mid")[instrument]
        bid, ask = (r.prices("bid")[instrument], r.prices("ask")[instrument]) if quotes else (None, None)
        return _front.plot_prices(mid, bid=bid, ask=ask, fills=f[f["instrument"] == instrument] if fills else None,
                                  ax=ax)

    def orders(self, *, freq: str = "30min", ax: Axes | None = None) -> Axes:
        """Order flow: client orders per ``freq`` interval, stacked by final status."""
        return _front.plot_orders(self._result.orders, freq=freq, ax=ax)

    # ----------------------------------------------------------------- middle office
    def pnl(self, *, value: str = "total_pnl", ax: Axes | None = None, desk: bool = True) -> Axes:
        """P&L (or exposure: ``value="gross_exposure"``) per book through the run, with the desk total."""
        r = self._result
        return _middle.plot_pnl(r.pnl, value=value, ax=ax, desk=desk, currency=r.base_currency)

    def risk(self, *, value: str = "var_1d", es: bool = False, books=None, ax: Axes | None = None) -> Axes:
        """VaR (or ``value``: ``es_1d``, ``var_10d``, ``drawdown`` …) per book and desk through the run,
        with the book and desk limits as lines (VaR and drawdown; ``es=True`` adds the ES dashed)."""
        r = self._result
        lim = r.config.limits
        limits = {"var_1d": (lim.book_var, lim.desk_var), "drawdown": (lim.book_drawdown, lim.desk_drawdown),
                  "gross_exposure": (lim.book_gross_exposure, lim.desk_gross_exposure)}.get(value, (None, None))
        drawn = set(r.risk["book"]) if books is None else set(books)
        book_limit = limits[0] if drawn - {-1} else None
        desk_limit = limits[1] if -1 in drawn else None
        return _middle.plot_risk(r.risk, value=value, es=es, books=books, book_limit=book_limit,
                                 desk_limit=desk_limit, ax=ax, currency=r.base_currency)

    def breaches(self, *, ax: Axes | None = None, limits=None) -> Axes:
        """Limit warnings, breaches and clearances over time at their utilisation (value / limit)."""
        r = self._result
        return _middle.plot_breaches(r.breaches, ax=ax, limits=limits,
                                     warning_fraction=r.config.limits.warning_fraction)

    # ----------------------------------------------------------------- back office
    def settlements(self, *, value: str = "count", ax: Axes | None = None) -> Axes:
        """Settlement instructions by settlement date, stacked by status (as of the end of the run)."""
        return _back.plot_settlements(self._result.settlements, value=value, ax=ax)

    def breaks(self, *, ax: Axes | None = None, stack: str | None = None, latest: bool = True) -> Axes:
        """Reconciliation breaks by kind, stacked by age (the last reconciliation's open breaks) or by date."""
        return _back.plot_breaks(self._result.breaks, ax=ax, stack=stack, latest=latest)

    def settlement_history(self, *, ax: Axes | None = None) -> Axes:
        """Open obligations at each day's end, stacked by status."""
        return _back.plot_settlement_history(self._result.settlement_history, ax=ax)

    def fails(self, *, ax: Axes | None = None) -> Axes:
        """Failed obligations at each day's end, stacked by fail reason."""
        return _back.plot_fails(self._result.settlement_history, ax=ax)

    def penalties(self, *, ax: Axes | None = None) -> Axes:
        """Cumulative settlement penalties per currency over the days (minor units, >0 paid)."""
        return _back.plot_penalties(self._result.settlement_history, ax=ax)

    def explain(self, *, book: int | None = None, ax: Axes | None = None) -> Axes:
        """Daily P&L explain of one book (default: the desk): components stacked, total as a marker."""
        r = self._result
        return _back.plot_explain(r.explain, book=book, ax=ax, currency=r.base_currency)
