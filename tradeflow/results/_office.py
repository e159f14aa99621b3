"""The base of the office views: ``result.front``, ``result.middle``, ``result.back``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from tradeflow.results._frames import table_frame
from tradeflow.schema import TABLES

if TYPE_CHECKING:
    from tradeflow.results.result import RunResult

__all__ = ["OfficeView"]


class OfficeView:
    """One office's tables of a run, as readable DataFrames built on first access.

    Every record table the data model registers for this office (see
    :data:`tradeflow.schema.TABLES`) is an attribute, named by its ``frame``: a table with
    no dedicated property here gets the generic view (:func:`tradeflow.results._frames.table_frame`),
    so a new table needs only its registry entry.
    """

    office: str = ""

    def __init__(self, result: RunResult) -> None:
        self._result = result
        self._cache: dict[str, pd.DataFrame] = {}

    @classmethod
    def table_names(cls) -> tuple[str, ...]:
        """The frame names of this office's registered tables."""
        return tuple(t.frame for t in TABLES.values() if t.office == cls.office)

    @property
    def records(self):
        return self._result.records

    def __getattr__(self, name: str) -> pd.DataFrame:
        if name.startswith("_"):
            raise AttributeError(name)
        entry = next((t for t in TABLES.values() if t.office == self.office and t.frame == name), None)
        if entry is None:
            raise AttributeError(f"{type(self).__name__} has no table {name!r}; tables: {list(self.table_names())}")
        cache = self.__dict__["_cache"]
        if name not in cache:
            cache[name] = table_frame(self._result, entry.name)
        return cache[name]

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self.table_names()))

    def __repr__(self) -> str:
        return f"<{self.office} office tables: {', '.join(self.table_names())}>"
