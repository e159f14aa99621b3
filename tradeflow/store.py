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
leaves it whole under ``.<name>.old-<pid>-*`` beside ``path``. A store only replaces a store (or
an empty directory): any other existing path is refused, never deleted.

Opening a store is safe: ``meta.json`` is parsed defensively and every record name it lists
must be a table of the data model's registry or a plain identifier (``[A-Za-z][A-Za-z0-9_]*``),
so no name such as ``../../x`` reads or writes outside the store. A truncated or damaged file
raises :class:`DamagedStoreError` (a ``ValueError``) naming it. Leftovers of a killed writer
(``.<name>.tmp-<pid>-*``, and ``.<name>.old-<pid>-*`` from a kill between the two renames) are
named in the error when ``path`` holds no store, and :func:`recover` (called by every
:func:`write_run`) removes the stale temporaries and renames an orphaned previous store back.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.lib.format import descr_to_dtype, dtype_to_descr

if TYPE_CHECKING:
    from tradeflow.results import RunResult

__all__ = ["write_run", "read_run", "read_meta", "recover", "check_target", "DamagedStoreError", "FORMAT_VERSION"]

FORMAT_VERSION = 1

_RECORD_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,127}")
_LEFTOVER = re.compile(r"\.(?P<name>.+)\.(?P<kind>tmp|old)-(?:(?P<pid>\d+)-)?[0-9a-f]{32}")
_STALE_UNOWNED_S = 24 * 3600  # a leftover without a writer pid (older tradeflow) is stale after a day


class DamagedStoreError(ValueError):
    """A run store whose files are there but unreadable: truncated or corrupt ``meta.json`` or
    Parquet, a table with missing columns or rows, an unsafe record name. A ``ValueError`` whose
    message names the store and the file."""


def _check_record_name(name: object, where: str) -> str:
    """A record name is a registry table or a plain identifier: never a path (``../../x``, ``a/b``)."""
    from tradeflow import schema
    registry = getattr(schema, "TABLES", None) or {}
    if isinstance(name, str) and (name in registry or _RECORD_NAME.fullmatch(name)):
        return name
    raise DamagedStoreError(f"{where}: record name {name!r} is neither a table of the record registry nor a "
                            "plain identifier ([A-Za-z][A-Za-z0-9_]*); refusing to use it as a file name")


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's live process (or we cannot tell): not ours to clean
    return True


def _leftovers(path: Path) -> list[tuple[Path, str, bool]]:
    """``(path, "tmp"|"old", stale)`` for every leftover of a writer of ``path`` beside it."""
    out = []
    try:
        siblings = list(path.parent.iterdir())
    except OSError:
        return out
    import time
    for p in siblings:
        m = _LEFTOVER.fullmatch(p.name)
        if m is None or m["name"] != path.name or not p.is_dir():
            continue
        if m["pid"] is not None:
            stale = not _pid_alive(int(m["pid"]))
        else:
            try:
                stale = time.time() - p.stat().st_mtime > _STALE_UNOWNED_S
            except OSError:
                continue
        out.append((p, m["kind"], stale))
    return sorted(out, key=lambda e: e[0].name)


def recover(path: str | os.PathLike) -> list[str]:
    """Clean up after a killed :func:`write_run` of ``path``: what it did, one line per action.

    A stale ``.<name>.tmp-*`` directory (its writer process is gone) is removed. If ``path``
    holds no store and a stale ``.<name>.old-*`` holds a whole one (a kill between the two
    renames of a replace), it is renamed back to ``path``; once ``path`` holds a store, stale
    ``.old-*`` copies are removed. Leftovers of a writer that is still running are left alone.
    """
    path = Path(path)
    done = []
    for p, kind, stale in _leftovers(path):
        if not stale:
            continue
        if kind == "old" and not (path / "meta.json").is_file() and (p / "meta.json").is_file() \
                and not (path.exists() and any(path.iterdir())):
            if path.exists():
                path.rmdir()
            os.replace(p, path)
            _fsync_dir(path.parent)
            done.append(f"renamed the previous store {p.name} back to {path.name}")
        else:
            shutil.rmtree(p, ignore_errors=True)
            done.append(f"removed {p.name} (left by a killed write)")
    return done


def _leftover_hint(path: Path) -> str:
    hints = []
    for p, kind, stale in _leftovers(path):
        if kind == "old" and (p / "meta.json").is_file():
            hints.append(f"a replace of it was interrupted: the previous store is whole at {p} "
                         f"(tradeflow.store.recover({str(path)!r}) renames it back)")
        else:
            hints.append(f"{p.name} is left from a {'killed' if stale else 'running'} write "
                         f"({'tradeflow.store.recover removes it' if stale else 'still in progress'})")
    return "; " + "; ".join(hints) if hints else ""


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
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist (no tradeflow run store there){_leftover_hint(path)}")
    if not meta_path.is_file():
        raise FileNotFoundError(f"{path} is not a tradeflow run store (no meta.json){_leftover_hint(path)}")
    try:
        meta = json.loads(meta_path.read_bytes())
    except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError is a ValueError
        raise DamagedStoreError(f"{path} is a damaged tradeflow run store: {meta_path} is not valid JSON "
                                f"(truncated or corrupt: {exc})") from None
    except OSError as exc:
        raise DamagedStoreError(f"{path} is a damaged tradeflow run store: cannot read {meta_path} ({exc})") from None
    if not isinstance(meta, dict):
        raise DamagedStoreError(f"{path} is a damaged tradeflow run store: {meta_path} holds a "
                                f"{type(meta).__name__}, not an object")
    version = meta.get("format_version", 0)
    if not isinstance(version, int) or isinstance(version, bool):
        raise DamagedStoreError(f"{path} is a damaged tradeflow run store: {meta_path} has format_version "
                                f"{version!r}")
    if version > FORMAT_VERSION:
        raise ValueError(f"run store format {meta['format_version']} is newer than this tradeflow "
                         f"understands ({FORMAT_VERSION}); upgrade tradeflow")
    for key, kind in (("records", dict), ("config", dict), ("currencies", list), ("trade_dates", list),
                      ("market_trade_date", str)):
        if not isinstance(meta.get(key), kind):
            raise DamagedStoreError(f"{path} is a damaged tradeflow run store: {meta_path} has "
                                    f"{key}={meta.get(key, '<missing>')!r:.80}, not a JSON {kind.__name__}")
    for name, cols in meta["records"].items():
        _check_record_name(name, f"{path} is a damaged tradeflow run store: {meta_path}")
        if not (isinstance(cols, list) and all(isinstance(c, str) for c in cols)):
            raise DamagedStoreError(f"{path} is a damaged tradeflow run store: {meta_path} lists columns "
                                    f"{cols!r:.80} for records {name!r}")
    files = [path / "records" / f"{name}.parquet" for name in meta["records"]]
    files += [path / "market" / f"{name}.parquet" for name in ("instruments", "quotes", "fx")]
    missing = [str(f.relative_to(path)) for f in files if not f.is_file()]
    if missing:
        raise FileNotFoundError(f"{path} is an incomplete tradeflow run store: missing {missing}")
    return meta


def _read_table(pq, path: Path, rel: str):
    """One Parquet file of the store, or DamagedStoreError naming it (truncated, corrupt, unreadable)."""
    try:
        return pq.read_table(path / rel)
    except FileNotFoundError:
        raise FileNotFoundError(f"{path} is an incomplete tradeflow run store: missing {rel}") from None
    except (OSError, ValueError) as exc:  # pyarrow.ArrowInvalid is a ValueError, ArrowIOError an OSError
        raise DamagedStoreError(f"{path} is a damaged tradeflow run store: {rel} cannot be read "
                                f"({type(exc).__name__}: {str(exc)[:200]})") from None


def _require_columns(path: Path, rel: str, have, need) -> None:
    missing = [c for c in need if c not in set(have)]
    if missing:
        raise DamagedStoreError(f"{path} is a damaged tradeflow run store: {rel} lacks column(s) {missing[:10]}")


def check_target(path: str | os.PathLike) -> Path:
    """Refuse, before any work, a ``path`` :func:`write_run` would refuse: an existing path that is
    neither a run store nor an empty directory.

    Raises
    ------
    FileExistsError
        Naming ``path``.
    """
    path = Path(path)
    if path.exists() and not ((path / "meta.json").is_file() or (path.is_dir() and not any(path.iterdir()))):
        raise FileExistsError(f"{path} exists and is not a tradeflow run store; refusing to replace it")
    return path


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
    for name in result.records:
        _check_record_name(name, f"write_run to {path}")
    recover(path)  # stale leftovers of a killed writer: temporaries removed, an orphaned previous store back
    check_target(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.tmp-{os.getpid()}-{uuid.uuid4().hex}"
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
            old = path.parent / f".{path.name}.old-{os.getpid()}-{uuid.uuid4().hex}"
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
        table = _read_table(pq, path, f"records/{name}.parquet")
        dtype = dtypes.get(name)
        if dtype is None and name in meta.get("dtypes", {}):  # a record kind not in the map: its stored layout,
            dtype = _schema_dtype(_descr_to_dtype(meta["dtypes"][name]))  # as the schema's own dtype if it is one
        if dtype is None:  # a store from before layouts were kept: rebuild from the stored columns
            dtype = np.dtype([(c, table.schema.field(c).type.to_pandas_dtype()) for c in table.column_names])
        expected = meta.get("rows", {}).get(name)  # stores written before row counts were kept skip this
        if expected is not None and table.num_rows != expected:
            raise ValueError(f"{path} is a damaged tradeflow run store: records/{name}.parquet has "
                             f"{table.num_rows} rows, meta.json says {expected}")
        _require_columns(path, f"records/{name}.parquet", table.column_names, dtype.names)
        rec = np.zeros(table.num_rows, dtype=dtype)
        for f in dtype.names:
            try:
                rec[f] = table.column(f).to_numpy()
            except (TypeError, ValueError) as exc:  # a column of the wrong type
                raise DamagedStoreError(f"{path} is a damaged tradeflow run store: records/{name}.parquet column "
                                        f"{f!r} does not fit {dtype[f]} ({exc})") from None
        records[name] = rec
    instruments = _read_table(pq, path, "market/instruments.parquet").to_pandas()
    quotes = _read_table(pq, path, "market/quotes.parquet").to_pandas()
    fx = _read_table(pq, path, "market/fx.parquet").to_pandas()
    n = len(instruments)
    _require_columns(path, "market/quotes.parquet", quotes.columns,
                     ["ts"] + [f"{q}_{k}" for k in range(n) for q in ("mid", "bid", "ask")])
    _require_columns(path, "market/fx.parquet", fx.columns, [f"fx_{k}" for k in range(fx.shape[1])])
    market = MarketData(
        times=quotes["ts"].to_numpy(np.int64),
        mid=np.stack([quotes[f"mid_{k}"].to_numpy() for k in range(n)]),
        bid=np.stack([quotes[f"bid_{k}"].to_numpy() for k in range(n)]),
        ask=np.stack([quotes[f"ask_{k}"].to_numpy() for k in range(n)]),
        fx=np.stack([fx[f"fx_{k}"].to_numpy() for k in range(fx.shape[1])]),
        instruments=instruments, currencies=tuple(meta["currencies"]),
        trade_date=np.datetime64(meta["market_trade_date"], "D"),
    )
    try:
        config = SimulationConfig.from_dict(meta["config"])
    except (TypeError, ValueError) as exc:
        raise DamagedStoreError(f"{path} is a damaged tradeflow run store: meta.json holds an invalid config "
                                f"({exc})") from None
    if not isinstance(meta.get("seed"), int):
        raise DamagedStoreError(f"{path} is a damaged tradeflow run store: meta.json has seed "
                                f"{meta.get('seed', '<missing>')!r}")
    return RunResult(config=config, seed=meta["seed"],
                     seed_spawn_key=tuple(meta.get("seed_spawn_key", ())), market=market,
                     records=records, timings=meta.get("timings"),
                     trade_dates=np.array(meta["trade_dates"], dtype="datetime64[D]"))

