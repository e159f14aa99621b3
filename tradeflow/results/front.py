"""The front office's tables of a run: orders, algo parents, order events, fills, executions, quotes."""

from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd

from tradeflow.results._office import OfficeView
from tradeflow.schema import records_to_frame

__all__ = ["FrontTables"]


class FrontTables(OfficeView):
    """``result.front``: client orders and what the venue did with them."""

    office = "front"

    @cached_property
    def orders(self) -> pd.DataFrame:
        """Every client order with its final status and reject reason."""
        return self._result._frame("orders")

    @cached_property
    def parents(self) -> pd.DataFrame:
        """Algo parent orders (TWAP/VWAP) with fills and status derived from their child orders.

        Children are the ``orders`` rows with ``origin == "ALGO_CHILD"`` and this ``parent_id``.
        """
        r = self._result
        rec = r.records.get("parents")
        if rec is None:
            from tradeflow.schema import ALGO_PARENT_DT
            rec = np.zeros(0, ALGO_PARENT_DT)
        df = records_to_frame(rec, table="parents", ts_fields=("ts", "ts_end", "ts_done"))
        df["instrument"] = r._symbols(rec["instrument"])
        return df

    @cached_property
    def order_events(self) -> pd.DataFrame:
        """Order lifecycle events (accepted, rejected, filled, expired) in time order."""
        return self._result._frame("events")

    @cached_property
    def fills(self) -> pd.DataFrame:
        """Executions: ``fill_id, order_id, ts, book, instrument, side, qty, price, fee`` and more."""
        r = self._result
        df = r._frame("fills")
        ccy = r.market.instruments["currency_id"].to_numpy()[r.records["fills"]["instrument"]]
        df["currency"] = r._currencies(ccy)
        if "venue_id" in r.market.instruments:  # a fill executes where its order went: the listing venue
            venue_id = r.market.instruments["venue_id"].to_numpy()
            df["venue"] = r._venues(venue_id[r.records["fills"]["instrument"]])
        return df

    @cached_property
    def quotes(self) -> pd.DataFrame:
        """Top of each instrument's venue book on the quote grid (book venue only; empty otherwise)."""
        return self._result._frame("quotes") if "quotes" in self.records else pd.DataFrame()

    @cached_property
    def executions(self) -> pd.DataFrame:
        """What the venue executed. With the book venue (``execution.venue="book"``, the default) only
        the orders the desk let out reach it, so rejected orders have none; with the quote venue
        every client order is executed as if sent (rejected orders' executions included), and
        ``fills`` keeps those of accepted orders."""
        return self._result._frame("executions") if "executions" in self.records else pd.DataFrame()

    def fix_messages(self, *, sender: str = "TRADEFLOW", target: str = "VENUE") -> list[str]:
        """The run's orders and order events as FIX 4.4 messages (see :func:`tradeflow.front.fix.fix_messages`).

        NewOrderSingle (35=D) or OrderCancelReplaceRequest (35=G) per order and an ExecutionReport
        (35=8) per lifecycle event, SOH-delimited, in time order; algo children carry their parent
        as SecondaryClOrdID (526); orders name their venue's MIC as ExDestination (100), fills as
        LastMkt (30).
        """
        from tradeflow.front.fix import fix_messages

        r = self._result
        symbols = list(r.market.instruments["symbol"])
        ccys = list(r._currencies(r.market.instruments["currency_id"].to_numpy()))
        return fix_messages(r.records["orders"], r.records["events"], symbols, ccys,
                            venues=r.venues or None, sender=sender, target=target)

    def stylized_facts(self) -> pd.DataFrame:
        """The stylized facts of this run's market and order flow (:func:`tradeflow.market.stylized.market_facts`).

        Prices, spreads and volumes are the venue book's (the fair price with the quote venue);
        signs are the client orders'. Impact is measured on metaorders (algo parents, and each
        client's runs of same-instrument, same-side orders; see
        :func:`tradeflow.market.stylized.metaorder_impact`): the signed mid move from just
        before a metaorder's first aggressive execution to just after its last, in units of
        daily volatility, against the quantity it took in units of daily volume, pooled over
        instruments and days (no row with the quote venue, which has no impact).
        """
        from tradeflow.market.stylized import market_facts

        r = self._result
        return market_facts(r.market, r.records["orders"], r.records.get("executions"), r.records.get("quotes"))

    def _metaorder_impact(self, adjusted: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Metaorder sizes (/ daily volume) and impacts (/ daily volatility) on the venue book's mids."""
        from tradeflow.market.stylized import run_metaorder_impact

        r = self._result
        return run_metaorder_impact(r.market, r.records["orders"], r.records["executions"], r.records["quotes"],
                                    adjusted=adjusted)
