"""A study's store: the runs dataset ``run_many(..., store=path)`` writes, and reading it back.

Each worker writes its run into the dataset and commits it (see :mod:`tradeflow.dataset`); the
driver writes ``_summary.parquet`` (the summary it returned) at the end. Query the dataset with
:func:`tradeflow.open_runs` (lazy, filters pushed down, SQL); :func:`read_runs` stacks one table
of many runs with a ``run`` index level, and :func:`read_summary` gives the summary back.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from tradeflow.results import RunResult

__all__ = ["read_summary", "read_runs", "prepare_store", "commit_run", "write_summary"]


def prepare_store(store: str | os.PathLike) -> str:
    """Check ``store`` and make it a runs dataset; returns the location workers write to (a URL or absolute path)."""
    from tradeflow.dataset.layout import create, is_local

    if not isinstance(store, str | os.PathLike):
        raise ValueError(f"The 'store' parameter of run_many must be a path or an fsspec URL (s3://bucket/study). "
                         f"Got {store!r} instead.")
    fs, root = create(store)
    if is_local(fs):
        return os.path.abspath(root)  # workers may start elsewhere (a forkserver, a Dask worker's cwd)
    return fs.unstrip_protocol(root)


def commit_run(result: RunResult, store: str, run: int, row: dict[str, Any], *, started: float) -> None:
    """In the worker: finish ``row`` (``store``, ``elapsed_s``, ``worker``) and write the run with it, committed."""
    from tradeflow.dataset.layout import PART, RUNS, run_dir, write_run_committed
    from tradeflow.parallel._worker import worker_name

    row["store"] = f"{run_dir(store.rstrip('/'), RUNS, run)}/{PART}"
    row["worker"] = worker_name()
    row["elapsed_s"] = time.perf_counter() - started
    # the committed runs row travels back with the summary row (a few kB of Arrow IPC): the driver writes the
    # study's runs index from them, instead of reading a thousand commit files back at the end
    _, row["_runs_row"] = write_run_committed(result, store, run, stats=row)


def write_summary(summary: pd.DataFrame, store: str) -> None:
    """``_summary.parquet`` in the dataset's root (written aside, then renamed), seed identity as JSON text."""
    from tradeflow.dataset.layout import SUMMARY, require_pyarrow, resolve

    require_pyarrow()
    fs, root = resolve(store)
    out = summary.copy()
    for c in ("seed_entropy", "seed_spawn_key"):
        out[c] = [json.dumps(list(v) if isinstance(v, tuple) else v) for v in out[c]]
    tmp = f"{root}/.{SUMMARY}.tmp-{uuid.uuid4().hex}"
    try:
        with fs.open(tmp, "wb") as fh:
            out.to_parquet(fh)
        fs.mv(tmp, f"{root}/{SUMMARY}")
    except BaseException:
        if fs.exists(tmp):
            fs.rm(tmp)
        raise


def read_summary(store: str | os.PathLike) -> pd.DataFrame:
    """The summary ``run_many`` returned for this store (``seed_spawn_key`` back as tuples)."""
    from tradeflow.dataset.layout import SUMMARY, resolve

    fs, root = resolve(store)
    path = f"{root}/{SUMMARY}"
    if not fs.exists(path):
        raise FileNotFoundError(f"{store} has no {SUMMARY}: the study did not finish (resume it with "
                                f"run_many(..., store=..., resume=True)), or it is not a run_many store.")
    with fs.open(path, "rb") as fh:
        df = pd.read_parquet(fh)
    for c in ("seed_entropy", "seed_spawn_key"):  # stored as JSON text: 128-bit ints and tuples survive
        if c in df:
            values = [json.loads(v) if isinstance(v, str) else v for v in df[c]]
            df[c] = pd.Series([tuple(v) if isinstance(v, list) else v for v in values], index=df.index, dtype=object)
    if "seed_entropy" in df and all(isinstance(v, int) and -2**63 <= v < 2**63 for v in df["seed_entropy"]):
        df["seed_entropy"] = df["seed_entropy"].astype("int64")
    return df


def read_runs(store: str | os.PathLike, table: str = "fills", runs: Iterable[int] | None = None) -> pd.DataFrame:
    """One table (``fills``, ``orders``, ``pnl``, ``breaks`` ...) of many runs stacked with a ``run``
    index level, each run's part exactly as its ``RunResult`` gives it.

    For queries over many runs prefer :func:`tradeflow.open_runs` (filters pushed down, SQL).

    Parameters
    ----------
    store : str or path-like
        A study written by ``run_many(..., store=...)``.
    table : str, default="fills"
        A table of the dataset (:data:`tradeflow.dataset.TABLES`).
    runs : iterable of int, optional
        Which runs (default: every committed run, in run order).

    Examples
    --------
    >>> fills = read_runs("runs/batch-42", "fills")              # doctest: +SKIP
    >>> fills.groupby(level="run")["qty"].sum()                  # doctest: +SKIP
    """
    from tradeflow.dataset import TABLES, open_runs

    if table not in TABLES:
        raise ValueError(f"The 'table' parameter of read_runs must name a table of the dataset, one of "
                         f"{list(TABLES)}. Got {table!r} instead.")
    ds = open_runs(store)
    keys = ds.run_ids if runs is None else [int(k) for k in runs]
    if not keys:
        raise FileNotFoundError(f"{store} holds no committed runs")
    return pd.concat([ds.run_frame(table, k) for k in keys], keys=keys, names=["run"])
