"""Reading a batch's store back: the summary, and one table of every run stacked with a ``run`` level.

A batch store (``run_many(..., store=path)``) holds ``run-00000/ ...`` (one Parquet run store
per completed run), ``manifest.jsonl`` (rows as runs finished) and ``summary.parquet``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from tradeflow.parallel._worker import run_store_path

__all__ = ["read_summary", "read_runs"]


def read_summary(store: str | os.PathLike) -> pd.DataFrame:
    """The summary ``run_many`` returned for this store (``seed_spawn_key`` back as tuples)."""
    df = pd.read_parquet(Path(store) / "summary.parquet")
    for c in ("seed_entropy", "seed_spawn_key"):  # stored as JSON text: 128-bit ints and tuples survive
        if c in df:
            values = [json.loads(v) if isinstance(v, str) else v for v in df[c]]
            df[c] = pd.Series([tuple(v) if isinstance(v, list) else v for v in values], index=df.index, dtype=object)
    if "seed_entropy" in df and all(isinstance(v, int) and -2**63 <= v < 2**63 for v in df["seed_entropy"]):
        df["seed_entropy"] = df["seed_entropy"].astype("int64")
    return df


def read_runs(store: str | os.PathLike, table: str = "fills", runs: Iterable[int] | None = None) -> pd.DataFrame:
    """One DataFrame property of many runs (``fills``, ``orders``, ``pnl``, ``breaks`` ...) stacked
    with a ``run`` index level, loading one run at a time.

    Parameters
    ----------
    store : path-like
        A batch store written by ``run_many(..., store=...)``.
    table : str, default="fills"
        A DataFrame property of :class:`~tradeflow.RunResult`.
    runs : iterable of int, optional
        Which runs (default: every run store present, in run order).

    Examples
    --------
    >>> fills = read_runs("runs/batch-42", "fills")              # doctest: +SKIP
    >>> fills.groupby(level="run")["qty"].sum()                  # doctest: +SKIP
    """
    from tradeflow.results import RunResult

    store = Path(store)
    if runs is None:
        runs = sorted(int(p.name[4:]) for p in store.glob("run-*") if p.is_dir() and p.name[4:].isdigit())
    frames, keys = [], []
    for k in runs:
        result = RunResult.from_parquet(run_store_path(store, k))
        if table not in RunResult.table_names():
            raise ValueError(f"The 'table' parameter of read_runs must name a RunResult table such as 'fills'. "
                             f"Got {table!r} instead.")
        frames.append(getattr(result, table))
        keys.append(k)
    if not frames:
        raise FileNotFoundError(f"{store} holds no run stores (run-00000 ...)")
    return pd.concat(frames, keys=keys, names=["run"])
