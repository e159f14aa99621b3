"""The middle office's tables of a run: positions, P&L, risk snapshots, limit breaches, the VaR backtest."""

from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd

from tradeflow.results._office import OfficeView
from tradeflow.schema import NS_PER_DAY, TradingState, records_to_frame, table

__all__ = ["MiddleTables"]


class MiddleTables(OfficeView):
    """``result.middle``: positions, P&L, risk and limits."""

    office = "middle"

    @cached_property
    def positions(self) -> pd.DataFrame:
        """Positions at the last close per book and instrument that traded, in the instrument's currency."""
        return self._positions("positions")

    @cached_property
    def eod_positions(self) -> pd.DataFrame:
        """Positions at every day's close (``trade_date`` column), cumulative P&L since the run began."""
        return self._positions("eod_positions")

    def _positions(self, name: str) -> pd.DataFrame:
        r = self._result
        rec = r.records[name]
        rec = rec[rec["n_fills"] > 0]
        df = records_to_frame(rec, table=name)
        df["instrument"] = r._symbols(rec["instrument"])
        df["currency"] = r._currencies(r.market.instruments["currency_id"].to_numpy()[rec["instrument"]])
        df["total_pnl"] = df["realized_pnl"] + df["unrealized_pnl"] - df["fees"]
        return df.reset_index(drop=True)

    @cached_property
    def pnl(self) -> pd.DataFrame:
        """P&L and exposure snapshots per book in the base currency, indexed by UTC time."""
        return records_to_frame(self.records["pnl"], table="pnl").set_index("ts")

    @cached_property
    def risk(self) -> pd.DataFrame:
        """Risk snapshots per book (``book`` -1 is the desk): historical VaR/ES 1-day and 10-day,
        exposures, total P&L, drawdown, concentration and trading state; UTC time index, base currency."""
        rec = self.records.get("risk")
        if rec is None:
            rec = table("risk").empty()
        return records_to_frame(rec, table="risk").set_index("ts")

    @cached_property
    def breaches(self) -> pd.DataFrame:
        """Limit events: ``ts, book (-1 = desk), limit, level (WARNING/BREACH/CLEARED), value, threshold``
        and the trading state a breach switched the book to (``action``, empty when none)."""
        rec = self.records.get("breaches")
        if rec is None:
            rec = table("breaches").empty()
        df = records_to_frame(rec, table="breaches")
        names = np.array([s.name for s in TradingState] + [""], dtype=object)
        df["action"] = pd.Categorical(names[np.where(rec["action"] >= 0, rec["action"], len(names) - 1)])
        return df

    def var_backtest(self, book: int | None = None):
        """Backtest the 1-day historical VaR over the run's days (needs at least two days).

        Each day's realized P&L (change of total P&L from the previous close, base currency)
        is compared with the VaR the risk engine reported at the previous close.

        Parameters
        ----------
        book : int, optional
            A book; the whole desk when omitted.

        Returns
        -------
        tradeflow.middle.backtest.BacktestResult
        """
        from tradeflow.middle.backtest import var_backtest

        r = self._result
        risk = r.records.get("risk")
        if risk is None or len(r.trade_dates) < 2:
            raise ValueError("a VaR backtest needs risk records over at least two days")
        rows = risk[risk["book"] == (-1 if book is None else int(book))]
        day = rows["ts"] // NS_PER_DAY
        close = np.flatnonzero(np.r_[day[1:] != day[:-1], True])  # the last snapshot of each day
        total = rows["total_pnl"][close]
        var = rows["var_1d"][close]
        return var_backtest(np.diff(total), var[:-1], level=r.config.risk.var_level)
