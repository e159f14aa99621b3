"""Reading a runs dataset: lazy Arrow datasets per table, pandas frames, and SQL (DuckDB)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from tradeflow.dataset._views import VIEWS
from tradeflow.dataset.layout import (
    MARKER,
    PART,
    RUNS,
    RUNS_INDEX,
    SQL_HINT,
    SUMMARY,
    TABLE_NAMES,
    TABLES,
    arrow_filesystem,
    arrow_to_frame,
    concat_runs_tables,
    decode_row,
    is_local,
    read_marker,
    resolve,
    table_meta,
    write_arrow_atomic,
)

__all__ = ["RunsDataset", "open_runs"]

_RUN_DIR = re.compile(r"run=(\d+)$")
_STAGED = re.compile(rf"\.{re.escape(PART)}\.tmp-[0-9a-f]+$")


def open_runs(path: str | os.PathLike, *, filesystem: Any = None, allow_mixed_versions: bool = False) -> RunsDataset:
    """Open a runs dataset (``run_many(..., store=path)``) for lazy, filtered reading and SQL.

    Nothing but the directory listing and the small ``runs`` table is read here; tables are
    read when asked, with filters pushed down to the Parquet files (partition pruning on ``run``,
    row-group statistics on the rest).

    Parameters
    ----------
    path : str or path-like
        The dataset root: a local path or an fsspec URL (``s3://bucket/study``, ``memory://study``).
    filesystem : fsspec.AbstractFileSystem, optional
        Use this filesystem instead of the one ``path``'s protocol names.
    allow_mixed_versions : bool, default=False
        Open a dataset whose runs were written by different tradeflow versions (refused by default:
        the same seed may give other numbers under another version).

    Returns
    -------
    RunsDataset

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    ValueError
        ``path`` is not a runs dataset, holds files that are not part of one (named), or mixes versions.

    Examples
    --------
    >>> runs = tradeflow.open_runs("study/")                                     # doctest: +SKIP
    >>> runs.frame("fills", filter=[("run", "<", 10), ("side", "==", "BUY")])    # doctest: +SKIP
    >>> runs.sql("select run, book, sum(pnl) as pnl from daily_pnl group by all")  # doctest: +SKIP
    """
    return RunsDataset(path, filesystem=filesystem, allow_mixed_versions=allow_mixed_versions)


class RunsDataset:
    """Many runs as one dataset: one Arrow dataset per table, partitioned by ``run``.

    Use :meth:`dataset` for the pyarrow dataset of a table, :meth:`frame` for a pandas frame of
    many runs (with a ``run`` column), :meth:`run_frame` for one run's frame exactly as
    ``RunResult`` gives it, and :meth:`sql` for DuckDB SQL over every table and the ready views
    (:data:`tradeflow.dataset.VIEWS`).
    """

    def __init__(self, path: str | os.PathLike, *, filesystem: Any = None, allow_mixed_versions: bool = False) -> None:
        self.path = os.fspath(path) if isinstance(path, os.PathLike) else path
        self._fs, self._root = resolve(path, filesystem)
        fs, root = self._fs, self._root
        if not fs.exists(root):
            raise FileNotFoundError(f"No runs dataset at {self.path}: the path does not exist.")
        if not fs.isdir(root):
            raise ValueError(f"{self.path} is a file, not a runs dataset (a directory written by "
                             f"run_many(..., store=path)).")
        self.marker = read_marker(fs, root)
        if self.marker is None:
            raise ValueError(f"{self.path} is not a tradeflow runs dataset: it has no {MARKER} "
                             f"(write one with run_many(..., store=path)).")
        self._files = self._scan()
        self._pa_fs = arrow_filesystem(fs)
        committed = sorted(self._files.get(RUNS, {}))
        self._runs = self._read_runs(committed)
        self._check_versions(allow_mixed_versions)
        self._datasets: dict[str, Any] = {}
        self._con = None

    # ----------------------------------------------------------------- layout
    def _scan(self) -> dict[str, dict[int, str]]:
        """table -> run -> file, for every committed-looking file; anything foreign raises."""
        fs, root = self._fs, self._root
        files: dict[str, dict[int, str]] = {}
        foreign = []
        for p in _list_files(fs, root):
            rel = p[len(root.rstrip("/")) + 1:] if p.startswith(root.rstrip("/") + "/") else p.lstrip("/")
            parts = rel.split("/")
            if len(parts) == 1 and (parts[0] in (MARKER, SUMMARY) or parts[0].startswith((".", "_"))):
                continue
            if len(parts) == 3 and parts[0] in TABLE_NAMES and _RUN_DIR.match(parts[1]):
                if parts[2] == PART:
                    files.setdefault(parts[0], {})[int(_RUN_DIR.match(parts[1]).group(1))] = p
                    continue
                if _STAGED.match(parts[2]):  # a write in progress, or left by a run that died: never read
                    continue
            foreign.append(rel)
        if foreign:
            raise ValueError(f"{self.path} holds files that are not part of a tradeflow runs dataset: "
                             f"{foreign[:5]}{' ...' if len(foreign) > 5 else ''}. Tables are "
                             f"<table>/run=<k>/{PART} with <table> one of {list(TABLE_NAMES)}; move other files out.")
        return files

    def _read_runs(self, committed: Sequence[int]) -> pd.DataFrame:
        self._runs_arrow = None
        if not committed:
            return pd.DataFrame(index=pd.Index([], name="run", dtype="int64"))
        at = self._runs_arrow = self._runs_table(committed)
        return arrow_to_frame(at, table_meta(at.schema)).set_index("run").sort_index()

    def _runs_table(self, committed: Sequence[int]):
        """The ``runs`` rows of ``committed`` as one Arrow table: from the study's index where it has them
        (one file), the rest from each run's commit file (a thousand small files take seconds to scan)."""
        import pyarrow as pa
        import pyarrow.dataset as pads
        import pyarrow.parquet as pq

        parts = []
        want = set(committed)
        index_path = f"{self._root.rstrip('/')}/{RUNS_INDEX}"
        if self._fs.exists(index_path):
            with self._fs.open(index_path, "rb") as fh:
                indexed = pq.read_table(fh)
            keep = pa.array(sorted(want & set(indexed.column("run").to_pylist())), pa.int64())
            import pyarrow.compute as pc
            indexed = indexed.filter(pc.is_in(indexed.column("run"), value_set=keep))
            want -= set(keep.to_pylist())
            parts.append(indexed)
        if want:
            files = [self._files[RUNS][k] for k in sorted(want)]
            part = pads.partitioning(pa.schema([("run", pa.int64())]), flavor="hive")
            d = pads.dataset(files, filesystem=self._pa_fs, format="parquet", partitioning=part,
                             partition_base_dir=f"{self._root.rstrip('/')}/{RUNS}")
            parts.append(d.to_table())
        return concat_runs_tables(parts)

    def write_index(self) -> str:
        """Write the study's runs index: every committed run's ``runs`` row in one file (``_runs_index.parquet``).

        ``run_many(..., store=)`` writes it when a study ends, so opening a study of thousands of runs
        reads one small file instead of one per run; runs committed later (a resumed study) are read
        from their own files until the index is written again.

        Returns
        -------
        str
            The index file's path.
        """
        if self._runs.empty:
            raise ValueError(f"{self.path} has no committed runs to index.")
        path = f"{self._root.rstrip('/')}/{RUNS_INDEX}"
        write_arrow_atomic(self._fs, self._runs_arrow, path)
        return path

    def _check_versions(self, allow: bool) -> None:
        if allow or self._runs.empty:
            return
        for col in ("tradeflow_version", "format_version"):
            versions = self._runs[col].astype(str).unique()
            if len(versions) > 1:
                per = self._runs.groupby(self._runs[col].astype(str)).apply(lambda g: list(g.index[:3]))
                raise ValueError(f"The runs dataset at {self.path} mixes {col.replace('_', ' ')}s "
                                 f"{sorted(versions)} (runs {per.to_dict()}...): the same seed may give other "
                                 f"numbers under another version. Split the study, or pass "
                                 f"allow_mixed_versions=True to open it anyway.")

    # ----------------------------------------------------------------- metadata
    @property
    def runs(self) -> pd.DataFrame:
        """The ``runs`` table: one row per committed run (seed, config JSON, versions, stats), indexed by ``run``."""
        return self._runs.drop(columns=["row"], errors="ignore")

    @property
    def run_ids(self) -> list[int]:
        """The committed runs, in order."""
        return [int(k) for k in self._runs.index]

    @property
    def tables(self) -> tuple[str, ...]:
        """The tables the dataset has (``runs`` included)."""
        return tuple(t for t in TABLE_NAMES if t in self._files)

    def rows(self) -> dict[int, dict[str, Any]]:
        """Each committed run's summary row exactly as ``run_many`` returned it."""
        if "row" not in self._runs:
            return {}
        return {int(k): {"run": int(k), **decode_row(v)} for k, v in self._runs["row"].items()}

    def config(self, run: int):
        """The ``SimulationConfig`` of run ``run``."""

        from tradeflow.config import SimulationConfig

        return SimulationConfig.from_dict(json.loads(self._runs.loc[self._check_run(run), "config"]))

    def __len__(self) -> int:
        return len(self._runs)

    def __repr__(self) -> str:
        return f"<RunsDataset {self.path!r}: {len(self)} runs, tables {list(self.tables)}>"

    def _check_table(self, table: str) -> str:
        if table not in TABLE_NAMES:
            raise ValueError(f"The 'table' parameter must be one of {list(TABLE_NAMES)}. Got {table!r} instead.")
        return table

    def _check_run(self, run: int) -> int:
        if run not in self._runs.index:
            raise ValueError(f"The 'run' parameter must be a committed run of this dataset "
                             f"({len(self)} runs: {self.run_ids[:5]}...). Got {run!r} instead.")
        return int(run)

    # ----------------------------------------------------------------- Arrow
    def dataset(self, table: str):
        """The ``pyarrow.dataset.Dataset`` of ``table`` over committed runs, with ``run`` as a partition column."""
        import pyarrow as pa
        import pyarrow.dataset as ds

        self._check_table(table)
        if table not in self._datasets:
            files = [f for k, f in sorted(self._files.get(table, {}).items()) if k in self._runs.index]
            base = f"{self._root.rstrip('/')}/{table}"
            part = ds.partitioning(pa.schema([("run", pa.int64())]), flavor="hive")
            if not files:
                self._datasets[table] = ds.dataset(pa.table({"run": pa.array([], pa.int64())}))
            else:
                first = ds.dataset(files[:1], filesystem=self._pa_fs, format="parquet").schema
                schema = first.append(pa.field("run", pa.int64()))
                self._datasets[table] = ds.dataset(files, schema=schema, filesystem=self._pa_fs, format="parquet",
                                                   partitioning=part, partition_base_dir=base)
        return self._datasets[table]

    def to_table(self, table: str, *, filter: Any = None, columns: Sequence[str] | None = None,  # noqa: A002
                 runs: Iterable[int] | None = None):
        """``table`` of the committed runs as a ``pyarrow.Table`` (filters pushed down).

        ``filter`` is a ``pyarrow.compute.Expression`` or DNF tuples such as ``[("run", "<", 10)]``.
        """
        import pyarrow.dataset as ds
        import pyarrow.parquet as pq

        d = self.dataset(table)
        expr = None
        if filter is not None:
            expr = filter if isinstance(filter, ds.Expression) else pq.filters_to_expression(filter)
        if runs is not None:
            sel = ds.field("run").isin([int(r) for r in runs])
            expr = sel if expr is None else expr & sel
        return d.to_table(filter=expr, columns=None if columns is None else list(columns))

    def frame(self, table: str, *, filter: Any = None, columns: Sequence[str] | None = None,  # noqa: A002
              runs: Iterable[int] | None = None) -> pd.DataFrame:
        """``table`` of many runs as one pandas frame: a ``run`` column first, enum labels as categoricals."""
        at = self.to_table(table, filter=filter, columns=columns, runs=runs)
        df = arrow_to_frame(at, table_meta(self.dataset(table).schema))
        if "run" in df:
            df.insert(0, "run", df.pop("run"))
        return df

    def run_frame(self, table: str, run: int) -> pd.DataFrame:
        """Run ``run``'s ``table`` exactly as its ``RunResult`` gives it (same columns, dtypes and index)."""
        import pyarrow.dataset as ds

        self._check_table(table)
        self._check_run(run)
        path = self._files.get(table, {}).get(int(run))
        if path is None:
            raise ValueError(f"Run {run} of {self.path} has no {table!r} table.")
        at = ds.dataset([path], filesystem=self._pa_fs, format="parquet").to_table()
        meta = table_meta(at.schema)
        df = arrow_to_frame(at, meta)
        index = meta.get("index")
        return df.set_index(index) if index else df

    # ----------------------------------------------------------------- SQL
    def connect(self):
        """A DuckDB connection (the ``sql`` extra) with every table and ready view defined (UTC session)."""
        if self._con is not None:
            return self._con
        try:
            import duckdb
        except ImportError as exc:
            raise ImportError(SQL_HINT) from exc
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        for table in sorted(self.tables, key=lambda t: t != RUNS):  # runs first: the others filter on it
            if is_local(self._fs) and self._files.get(table):
                glob = f"{self._root.rstrip('/')}/{table}/run=*/{PART}".replace("'", "''")
                # native Parquet scan (fast); only committed runs, as a run's files land before its commit
                where = "" if table == RUNS else " WHERE run IN (SELECT run FROM runs)"
                con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{glob}', hive_partitioning = true, "
                            f"hive_types = {{'run': BIGINT}}){where}")
            else:  # any fsspec filesystem: through the Arrow dataset (filters still pushed down)
                con.register(f"__arrow_{table}", self.dataset(table))
                con.execute(f"CREATE VIEW {table} AS SELECT * FROM __arrow_{table}")
        for name, (_, query) in VIEWS.items():
            con.execute(f"CREATE VIEW {name} AS {query}")
        self._con = con
        return con

    def sql(self, query: str) -> pd.DataFrame:
        """Run DuckDB SQL over the dataset's tables (``fills``, ``pnl``, ``runs`` ...) and ready views
        (``daily_pnl``, ``var_exceptions``, ``settlement_fails``, ``breaks_by_kind``, ``book_pnl``,
        ``fills_by_book``); returns a pandas DataFrame."""
        if not isinstance(query, str):
            raise TypeError(f"The 'query' parameter of sql must be a str. Got {type(query).__name__} instead.")
        return self.connect().execute(query).df()

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None


def _list_files(fs: Any, root: str) -> list[str]:
    """Every file under ``root`` (recursively): ``os.walk`` on a local disk (fsspec's ``find`` costs ~60 us a file)."""
    if is_local(fs):
        return [f"{d}/{name}" for d, _, names in os.walk(root) for name in names]
    return fs.find(root, withdirs=False)


def describe_views() -> list[tuple[str, str]]:
    """``(name, what it holds)`` of each ready SQL view."""
    return [(name, doc) for name, (doc, _) in VIEWS.items()]


assert set(TABLES) | {RUNS} == set(TABLE_NAMES)
