"""Many runs at once: locally in a process pool by default, or on a Dask cluster.

:func:`run_many` runs independent desk-days (or multi-day runs), each seeded by its own child
of one ``numpy.random.SeedSequence``, and streams back one summary row per run; full results
go to a Parquet run store per run when asked, never all into memory. The numbers depend
only on configs and seeds: sequential, a process pool and Dask give the same summary.

Examples
--------
>>> import tradeflow
>>> cfg = tradeflow.SimulationConfig.from_dict({"flow": {"orders_per_day": 2_000}})
>>> summary = tradeflow.run_many(cfg, n_runs=3, executor="sequential", progress=False)
>>> list(summary.index)
[0, 1, 2]
"""

from tradeflow.parallel._worker import resolve_config
from tradeflow.parallel.batch_store import read_runs, read_summary
from tradeflow.parallel.cluster import local_cluster
from tradeflow.parallel.metrics import METRICS, Metric, close_pnl, count, count_by, describe_metrics, summarize
from tradeflow.parallel.runner import EXECUTORS, run_many, run_seed, run_seeds

__all__ = [
    "run_many", "run_seed", "run_seeds", "local_cluster", "read_runs", "read_summary", "resolve_config", "EXECUTORS",
    "Metric", "METRICS", "summarize", "count", "count_by", "close_pnl", "describe_metrics",
]
