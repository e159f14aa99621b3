"""The Parquet run store: a RunResult on disk, written atomically, read back identical.

Layout of a store directory::

    meta.json                 format version, tradeflow version, seed, config, trade dates, currencies
    records/<name>.parquet    every record array (orders, fills, ledger, …) as stored codes
    market/instruments.parquet, market/quotes.parquet, market/fx.parquet

A store is written into a temporary sibling directory and renamed into place at the end,
so a crash mid-write leaves either the previous store or none at ``path``, never half of one.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from tradeflow.results import RunResult

__all__ = ["write_run", "read_run", "FORMAT_VERSION"]

FORMAT_VERSION = 1


def _pyarrow():
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
    with open(path, "rb") as fh:  # the bytes are on disk before the rename makes them visible
        os.fsync(fh.fileno())


def write_run(result: RunResult, path: str | os.PathLike) -> Path:
    """Write ``result`` to a Parquet run store at ``path`` (replacing any store there).

    Parameters
    ----------
    result : RunResult
    path : path-like
        The store directory.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    pa, pq = _pyarrow()
    import tradeflow

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.tmp-{uuid.uuid4().hex}"
    (tmp / "records").mkdir(parents=True)
    (tmp / "market").mkdir()
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
            "tradeflow_version": tradeflow.__version__,
            "seed": result.seed,
            "config": result.config.to_dict(),
            "trade_dates": [str(d) for d in result.trade_dates],
            "market_trade_date": str(m.trade_date),
            "currencies": list(m.currencies),
            "records": {name: list(rec.dtype.names) for name, rec in result.records.items()},
            "timings": result.timings,
        }
        (tmp / "meta.json").write_text(json.dumps(meta, indent=2))
        # swap into place: the old store (if any) is moved aside first, then removed
        old = None
        if path.exists():
            old = path.parent / f".{path.name}.old-{uuid.uuid4().hex}"
            os.replace(path, old)
        os.replace(tmp, path)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
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
    _, pq = _pyarrow()
    from tradeflow.config import SimulationConfig
    from tradeflow.market.paths import MarketData
    from tradeflow.results import RunResult
    from tradeflow.schema import (
        BREAK_DT,
        FILL_DT,
        LEDGER_DT,
        ORDER_DT,
        ORDER_EVENT_DT,
        PNL_DT,
        POSITION_DT,
        SETTLEMENT_DT,
    )

    path = Path(path)
    meta_path = path / "meta.json"
    if not meta_path.is_file():
        raise FileNotFoundError(f"{path} is not a tradeflow run store (no meta.json)")
    meta = json.loads(meta_path.read_text())
    if meta.get("format_version", 0) > FORMAT_VERSION:
        raise ValueError(f"run store format {meta['format_version']} is newer than this tradeflow "
                         f"understands ({FORMAT_VERSION}); upgrade tradeflow")
    dtypes = {"orders": ORDER_DT, "events": ORDER_EVENT_DT, "fills": FILL_DT, "positions": POSITION_DT,
              "eod_positions": POSITION_DT, "pnl": PNL_DT, "settlements": SETTLEMENT_DT, "ledger": LEDGER_DT,
              "breaks": BREAK_DT}
    from tradeflow.back.office import BACK_OFFICE_RECORDS
    dtypes.update(BACK_OFFICE_RECORDS)
    records = {}
    for name in meta["records"]:
        table = pq.read_table(path / "records" / f"{name}.parquet")
        dtype = dtypes.get(name)
        if dtype is None:  # a record kind this version does not know: rebuild from the stored columns
            dtype = np.dtype([(c, table.schema.field(c).type.to_pandas_dtype()) for c in table.column_names])
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
    return RunResult(config=SimulationConfig.from_dict(meta["config"]), seed=meta["seed"], market=market,
                     records=records, timings=meta.get("timings"),
                     trade_dates=np.array(meta["trade_dates"], dtype="datetime64[D]"))

