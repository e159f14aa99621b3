"""``RunResult``: a thin face over a run's record arrays.

The tables live with their office (``result.front``, ``result.middle``, ``result.back``;
today's flat names such as ``result.orders`` stay as aliases), the headline numbers in
:mod:`tradeflow.results.stats` (``result.stats()``), the text report in
:mod:`tradeflow.results.summary`, the Parquet store in :mod:`tradeflow.store` and the plots
behind ``result.plot`` (:mod:`tradeflow.plotting`).
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from tradeflow.config import SimulationConfig
from tradeflow.market.paths import MarketData
from tradeflow.results.back import BackTables
from tradeflow.results.front import FrontTables
from tradeflow.results.middle import MiddleTables
from tradeflow.results.stats import METRICS, Metric, stats
from tradeflow.results.summary import summary_tables, summary_text
from tradeflow.schema import TABLES, records_to_frame

if TYPE_CHECKING:
    from collections.abc import Iterable

    from tradeflow.plotting.accessor import ResultPlots

__all__ = ["RunResult"]


class RunResult:
    """Everything a desk-day produced.

    The record arrays (``result.records["fills"]`` …) are what the kernels wrote; the office
    views show them as readable DataFrames built on first access, with instrument symbols,
    currency codes and enum labels instead of codes:

    * ``result.front``: ``orders``, ``order_events``, ``fills``, ``parents``, ``executions``, ``quotes``
    * ``result.middle``: ``positions``, ``eod_positions``, ``pnl``, ``risk``, ``breaches``
    * ``result.back``: ``settlements``, ``ledger``, ``breaks``, ``confirmations``, ``bookings``,
      ``obligations``, ``settlement_history``, ``statements``, ``faults``, ``explain``, ``trial_balance``

    Every table (and office method such as ``var_backtest``) is also an attribute of the result
    itself (``result.orders is result.front.orders``). ``result.stats()`` gives the headline
    numbers, ``result.summary()`` a text report and ``result.plot`` the charts.

    Attributes
    ----------
    config : SimulationConfig
    seed : int
        The seed (for a ``SeedSequence`` seed, its entropy).
    seed_spawn_key : tuple of int
        The ``SeedSequence`` spawn key when the run was seeded with a spawned child (as
        ``run_many`` does); ``SeedSequence(seed, spawn_key=seed_spawn_key)`` reruns it.
    market : MarketData
    records : dict of str to ndarray
        Record arrays by table name (see :data:`tradeflow.schema.TABLES`).
    trade_dates : datetime64[D] ndarray
        The business days the run covered.
    timings : dict of str to float
        Seconds spent in each stage of the run.
    """

    def __init__(self, *, config: SimulationConfig, seed: int, market: MarketData,
                 records: dict[str, np.ndarray], timings: dict[str, float] | None = None,
                 trade_dates: np.ndarray | None = None, seed_spawn_key: tuple[int, ...] = ()) -> None:
        self.config = config
        self.trade_dates = np.atleast_1d(market.trade_date if trade_dates is None else trade_dates)
        self.seed = seed
        self.seed_spawn_key = tuple(int(k) for k in seed_spawn_key)
        self.market = market
        self.records = records
        self.timings = dict(timings or {})

    def __repr__(self) -> str:
        r = self.records
        return (f"<RunResult trade_dates={self.trade_dates[0]}..{self.trade_dates[-1]} seed={self.seed} "
                f"orders={len(r['orders'])} fills={len(r['fills'])} breaks={len(r['breaks'])}>")

    # ----------------------------------------------------------------- the offices
    @cached_property
    def front(self) -> FrontTables:
        """The front office's tables: orders, order events, fills, algo parents, executions, quotes."""
        return FrontTables(self)

    @cached_property
    def middle(self) -> MiddleTables:
        """The middle office's tables: positions, P&L, risk snapshots, limit breaches."""
        return MiddleTables(self)

    @cached_property
    def back(self) -> BackTables:
        """The back office's tables: settlement, the ledger, confirmations, statements, faults, breaks."""
        return BackTables(self)

    def __getattr__(self, name: str) -> Any:
        # flat aliases: result.orders is result.front.orders (any table or method of an office view)
        if name.startswith("__") or name in ("front", "middle", "back"):
            raise AttributeError(name)
        for office in ("front", "middle", "back"):
            view = getattr(self, office)
            if name in view.table_names() or hasattr(type(view), name):
                return getattr(view, name)
        if name.startswith("plot_"):  # result.plot_pnl(...) is result.plot.pnl(...)
            return getattr(self.plot, name[len("plot_"):])
        raise AttributeError(f"'RunResult' object has no attribute {name!r}")

    @classmethod
    def table_names(cls) -> tuple[str, ...]:
        """Every table a result shows as ``result.<name>`` (and ``result.<office>.<name>``), office by office.

        >>> "orders" in RunResult.table_names() and "trial_balance" in RunResult.table_names()
        True
        """
        out: list[str] = []
        for view in (FrontTables, MiddleTables, BackTables):
            names = [*view.table_names(), *(n for n, v in vars(view).items() if isinstance(v, cached_property))]
            out += [n for n in dict.fromkeys(names) if n not in out]
        return tuple(out)

    def __dir__(self):
        names = set(super().__dir__())
        for view in (FrontTables, MiddleTables, BackTables):
            names |= set(view.table_names()) | {n for n in vars(view) if not n.startswith("_")}
        return sorted(names - {"office"})

    # ----------------------------------------------------------------- helpers the views share
    @property
    def instruments(self) -> pd.DataFrame:
        """The instrument table."""
        return self.market.instruments

    @property
    def base_currency(self) -> str:
        return self.config.market.base_currency

    @property
    def venues(self) -> tuple[str, ...]:
        """The run's venues (MICs) in venue-id order: an order's ``venue`` code indexes this."""
        inst = self.market.instruments
        if "mic" not in inst:
            return ()
        ids = inst["venue_id"].to_numpy(np.int64)
        out = np.empty(int(ids.max()) + 1 if ids.size else 0, dtype=object)
        out[ids] = inst["mic"].to_numpy(object)
        return tuple(out)

    def prices(self, field: str = "mid") -> pd.DataFrame:
        """Simulated quotes (``mid``, ``bid`` or ``ask``), one column per symbol."""
        return self.market.prices_frame(field)

    def _symbols(self, ids: np.ndarray) -> pd.Categorical:
        symbols = list(self.market.instruments["symbol"])
        return pd.Categorical.from_codes(np.asarray(ids, np.int64), categories=symbols)

    def _symbols_or_none(self, ids: np.ndarray, *, always_object: bool = False):
        """Symbols as a categorical, or an object array with None where an id is -1 (not instrument-level)."""
        ids = np.asarray(ids)
        if not always_object and (ids >= 0).all():
            return self._symbols(ids)
        symbols = np.asarray(self.market.instruments["symbol"], dtype=object)
        return np.where(ids >= 0, symbols[np.maximum(ids, 0)], None)

    def _currencies(self, ids: np.ndarray) -> pd.Categorical:
        return pd.Categorical.from_codes(np.asarray(ids, np.int64), categories=list(self.market.currencies))

    def _currencies_or_none(self, ids: np.ndarray) -> np.ndarray:
        ids = np.asarray(ids)
        return np.where(ids >= 0, np.asarray(self.market.currencies, dtype=object)[np.maximum(ids, 0)], None)

    def _venues(self, ids: np.ndarray) -> pd.Categorical | np.ndarray:
        """Venue ids as a categorical of MICs (ids unchanged for a run stored without instrument MICs)."""
        venues = self.venues
        if not venues:
            return np.asarray(ids)
        return pd.Categorical.from_codes(np.asarray(ids, np.int64), categories=list(venues))

    def _frame(self, name: str) -> pd.DataFrame:
        df = records_to_frame(self.records[name], table=name)
        if "instrument" in df:
            df["instrument"] = self._symbols(df["instrument"].to_numpy())
        if "venue" in df:
            df["venue"] = self._venues(df["venue"].to_numpy())
        return df

    # ----------------------------------------------------------------- numbers and reports
    def stats(self, metrics: Iterable[Metric] = METRICS) -> pd.Series:
        """The run's headline numbers as a ``pandas.Series`` (see :mod:`tradeflow.results.stats`).

        The same numbers are a row of :func:`tradeflow.run_many`'s summary and the JSON of
        ``tradeflow report --json``.
        """
        return stats(self, metrics)

    def summary_tables(self) -> dict[str, pd.DataFrame | pd.Series]:
        """The summary as tables: orders by status, rejects by reason, P&L by book,
        settlements by status, breaks by kind (and risk, breaches and back-office counts)."""
        return summary_tables(self)

    def summary(self) -> str:
        """A short text report of the run."""
        return summary_text(self)

    def to_dict(self) -> dict[str, Any]:
        """A few headline numbers of the run (a subset of :meth:`stats`), for logs and comparisons."""
        s = stats(self, count_other_records=False)
        return {
            "seed": self.seed,
            "orders": int(s.get("n_orders", 0)),
            "fills": int(s.get("n_fills", 0)),
            "rejects": int(s.get("n_rejects", 0)),
            "breaks": int(s.get("n_breaks", 0)),
            "desk_pnl": float(s.get("total_pnl", 0.0)),
        }

    # ----------------------------------------------------------------- persistence
    def to_parquet(self, path) -> Path:
        """Write the run to a Parquet run store (atomically); see :mod:`tradeflow.store`."""
        from tradeflow.store import write_run
        return write_run(self, path)

    @classmethod
    def from_parquet(cls, path) -> RunResult:
        """Load a run written by :meth:`to_parquet`; its DataFrames equal the original's."""
        from tradeflow.store import read_run
        return read_run(path)

    # ----------------------------------------------------------------- plots
    @cached_property
    def plot(self) -> ResultPlots:
        """The run's charts: ``result.plot.pnl()``, ``.positions()``, ``.prices()``, ``.orders()``, ``.risk()``,
        ``.breaches()``, ``.settlements()``, ``.settlement_history()``, ``.fails()``, ``.penalties()``,
        ``.breaks()``, ``.explain()`` (matplotlib, imported on first use: ``pip install "tradeflow[plot]"``)."""
        from tradeflow.plotting.accessor import ResultPlots
        return ResultPlots(self)


# the registry's tables all show up on their office's view
assert {t.frame for t in TABLES.values()} <= {*FrontTables.table_names(), *MiddleTables.table_names(),
                                             *BackTables.table_names()}
