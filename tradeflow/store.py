"""The Parquet run store: a RunResult on disk, written atomically, read back identical.

Layout of a store directory::

    meta.json                 format version, tradeflow version, seed, config, trade dates, currencies,
                              row counts and exact record layouts (so new record kinds round-trip)
    records/<name>.parquet    every record array (orders, fills, ledger, …) as stored codes
    market/instruments.parquet, market/quotes.parquet, market/fx.parquet

A store is written into a temporary sibling directory (``meta.json`` last, everything
fsynced) and renamed into place at the end, so a crash mid-write leaves either the previous
store or none at ``path``, never half of one. An error between moving the previous store
aside and renaming the new one in puts the previous store back; a power cut in that instant
leaves it whole under ``.<name>.old-*`` beside ``path``. A store only replaces a store (or
an empty directory): any other existing path is refused, never deleted.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.lib.format import descr_to_dtype, dtype_to_descr

if TYPE_CHECKING:
    from tradeflow.results import RunResult

__all__ = ["write_run", "read_run", "read_meta", "FORMAT_VERSION"]

FORMAT_VERSION = 1


def require_pyarrow():
    """Import pyarrow and its Parquet module, or raise ImportError with the install hint."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:  # pragma: no cover - exercised with pyarrow hidden
        raise ImportError(
            'The Parquet run store needs pyarrow: pip install "tradeflow[parquet]"') from exc
    return pa, pq


def _write_table(pq, pa, table_or_frame, path: Path) -> None:
    table = table_or_frame if isinstance(table_or_frame, pa.Table) else pa.Table.from_pandas(
        table_or_frame, preserve_index=False)
    pq.write_table(table, path)
    with open(path, "rb+") as fh:  # the bytes are on disk before the rename makes them visible
        os.fsync(fh.fileno())


def _write_bytes(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    """Persist a directory's entries (the renames into it); a no-op where directories cannot be opened."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some filesystems refuse fsync on directories
        pass
    finally:
        os.close(fd)


def _descr_to_dtype(descr) -> np.dtype:
    """Inverse of ``dtype_to_descr`` after a JSON round trip (which turned its tuples into lists)."""
    def untuple(entry):
        if not isinstance(entry, list):
            return entry
        name, typ, *shape = entry
        typ = [untuple(e) for e in typ] if isinstance(typ, list) else typ
        return (name, typ, *(tuple(s) for s in shape))
    return descr_to_dtype([untuple(e) for e in descr] if isinstance(descr, list) else descr)


def _schema_dtype(dtype: np.dtype) -> np.dtype:
    """The dtype object from :mod:`tradeflow.schema` equal to ``dtype`` (aligned, as kernels expect), else ``dtype``."""
    from tradeflow import schema
    for value in vars(schema).values():
        if isinstance(value, np.dtype) and value.names and value == dtype:
            return value
    return dtype


def read_meta(path: str | os.PathLike) -> dict:
    """The metadata of a run store (format and tradeflow version, seed, config, row counts …).

    Raises
    ------
    FileNotFoundError
        If ``path`` is not a complete run store.
    ValueError
        If the store's format version is newer than this tradeflow understands.
    """
    path = Path(path)
    meta_path = path / "meta.json"
    if not meta_path.is_file():
        raise FileNotFoundError(f"{path} is not a tradeflow run store (no meta.json)")
    meta = json.loads(meta_path.read_text())
    if meta.get("format_version", 0) > FORMAT_VERSION:
        raise ValueError(f"run store format {meta['format_version']} is newer than this tradeflow "
                         f"understands ({FORMAT_VERSION}); upgrade tradeflow")
    files = [path / "records" / f"{name}.parquet" for name in meta["records"]]
    files += [path / "market" / f"{name}.parquet" for name in ("instruments", "quotes", "fx")]
    missing = [str(f.relative_to(path)) for f in files if not f.is_file()]
    if missing:
        raise FileNotFoundError(f"{path} is an incomplete tradeflow run store: missing {missing}")
    return meta


def write_run(result: RunResult, path: str | os.PathLike) -> Path:
    """Write ``result`` to a Parquet run store at ``path`` (replacing any store there).

    Parameters
    ----------
    result : RunResult
    path : path-like
        The store directory. An existing run store (or empty directory) there is replaced.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    FileExistsError
        If ``path`` exists and is neither a run store nor an empty directory.
    """
    pa, pq = require_pyarrow()
    from tradeflow._version import __version__

    path = Path(path)
    if path.exists() and not ((path / "meta.json").is_file() or (path.is_dir() and not any(path.iterdir()))):
        raise FileExistsError(f"{path} exists and is not a tradeflow run store; refusing to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.tmp-{uuid.uuid4().hex}"
    (tmp / "records").mkdir(parents=True)
    (tmp / "market").mkdir()
    old: Path | None = None
    try:
        for name, rec in result.records.items():
            cols = {f: np.ascontiguousarray(rec[f]) for f in rec.dtype.names}
            schema = pa.schema([(f, pa.from_numpy_dtype(rec.dtype[f])) for f in rec.dtype.names])
            _write_table(pq, pa, pa.table(cols, schema=schema), tmp / "records" / f"{name}.parquet")
        m = result.market
        _write_table(pq, pa, m.instruments, tmp / "market" / "instruments.parquet")
        quotes = {"ts": m.times}
        for k in range(m.n_instruments):
            quotes[f"mid_{k}"], quotes[f"bid_{k}"], quotes[f"ask_{k}"] = m.mid[k], m.bid[k], m.ask[k]
        _write_table(pq, pa, pa.table(quotes), tmp / "market" / "quotes.parquet")
        _write_table(pq, pa, pa.table({f"fx_{k}": m.fx[k] for k in range(m.fx.shape[0])}),
                     tmp / "market" / "fx.parquet")
        meta = {
            "format_version": FORMAT_VERSION,
            "tradeflow_version": __version__,
            "seed": result.seed,
            "seed_spawn_key": list(result.seed_spawn_key),
            "config": result.config.to_dict(),
            "trade_dates": [str(d) for d in result.trade_dates],
            "market_trade_date": str(m.trade_date),
            "currencies": list(m.currencies),
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "records": {name: list(rec.dtype.names) for name, rec in result.records.items()},
            "rows": {name: int(len(rec)) for name, rec in result.records.items()},
            # exact layouts (offsets, padding), so record kinds this reader has no name for still round-trip
            "dtypes": {name: dtype_to_descr(rec.dtype) for name, rec in result.records.items()},
            "timings": result.timings,
        }
        # meta.json is written last: a directory without it is never a store (see read_run)
        _write_bytes(tmp / "meta.json", json.dumps(meta, indent=2).encode())
        _fsync_dir(tmp / "records")
        _fsync_dir(tmp / "market")
        _fsync_dir(tmp)
        # swap into place: the old store (if any) is moved aside first, then removed
        if path.exists():
            old = path.parent / f".{path.name}.old-{uuid.uuid4().hex}"
            os.replace(path, old)
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException:
        if old is not None and not path.exists():  # failed between the two renames: put the old store back
            os.replace(old, path)
            old = None
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    return path


def read_run(path: str | os.PathLike) -> RunResult:
    """Load a run written by :func:`write_run`; its DataFrames equal the original's.

    Raises
    ------
    FileNotFoundError
        If ``path`` is not a complete run store.
    ValueError
        If the store's format version is newer than this tradeflow understands.
    """
    _, pq = require_pyarrow()
    from tradeflow.config import SimulationConfig
    from tradeflow.market.paths import MarketData
    from tradeflow.results import RunResult
    from tradeflow.schema import TABLES

    path = Path(path)
    meta = read_meta(path)
    dtypes = {name: t.dtype for name, t in TABLES.items()}
    records = {}
    for name in meta["records"]:
        table = pq.read_table(path / "records" / f"{name}.parquet")
        dtype = dtypes.get(name)
        if dtype is None and name in meta.get("dtypes", {}):  # a record kind not in the map: its stored layout,
            dtype = _schema_dtype(_descr_to_dtype(meta["dtypes"][name]))  # as the schema's own dtype if it is one
        if dtype is None:  # a store from before layouts were kept: rebuild from the stored columns
            dtype = np.dtype([(c, table.schema.field(c).type.to_pandas_dtype()) for c in table.column_names])
        expected = meta.get("rows", {}).get(name)  # stores written before row counts were kept skip this
        if expected is not None and table.num_rows != expected:
            raise ValueError(f"{path} is a damaged tradeflow run store: records/{name}.parquet has "
                             f"{table.num_rows} rows, meta.json says {expected}")
        rec = np.zeros(table.num_rows, dtype=dtype)
        for f in dtype.names:
            rec[f] = table.column(f).to_numpy()
        records[name] = rec
    instruments = pq.read_table(path / "market" / "instruments.parquet").to_pandas()
    quotes = pq.read_table(path / "market" / "quotes.parquet").to_pandas()
    fx = pq.read_table(path / "market" / "fx.parquet").to_pandas()
    n = len(instruments)
    market = MarketData(
        times=quotes["ts"].to_numpy(np.int64),
        mid=np.stack([quotes[f"mid_{k}"].to_numpy() for k in range(n)]),
        bid=np.stack([quotes[f"bid_{k}"].to_numpy() for k in range(n)]),
        ask=np.stack([quotes[f"ask_{k}"].to_numpy() for k in range(n)]),
        fx=np.stack([fx[f"fx_{k}"].to_numpy() for k in range(fx.shape[1])]),
        instruments=instruments, currencies=tuple(meta["currencies"]),
        trade_date=np.datetime64(meta["market_trade_date"], "D"),
    )
    return RunResult(config=SimulationConfig.from_dict(meta["config"]), seed=meta["seed"],
                     seed_spawn_key=tuple(meta.get("seed_spawn_key", ())), market=market,
                     records=records, timings=meta.get("timings"),
                     trade_dates=np.array(meta["trade_dates"], dtype="datetime64[D]"))

