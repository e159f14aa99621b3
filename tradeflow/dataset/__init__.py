"""Many desk-days as one dataset: a partitioned Arrow store, SQL over runs, written by the workers.

``tradeflow.run_many(cfg, n_runs=200, store="study/")`` has every worker write its run into
``study/`` (one hive-partitioned Parquet dataset per table: ``study/fills/run=17/part-0.parquet``,
enum columns as dictionary columns with their labels, quotes in long format, and one ``runs`` row per
run with its config, seed, versions and stats); :func:`open_runs` reads it back lazily, and
``open_runs("study/").sql(...)`` queries it with DuckDB. pyarrow, DuckDB and Polars read the files
without tradeflow::

    duckdb.sql("select run, sum(qty * price) from read_parquet('study/fills/*/*.parquet', "
               "hive_partitioning = true) group by run")

See ``docs/dataset.md``.
"""

from tradeflow.dataset._open import RunsDataset, describe_views, open_runs
from tradeflow.dataset._views import VIEWS
from tradeflow.dataset.layout import FORMAT_VERSION, TABLE_NAMES, TABLES, run_frames, write_run

__all__ = ["open_runs", "RunsDataset", "write_run", "run_frames", "describe_views", "TABLES", "TABLE_NAMES",
           "VIEWS", "FORMAT_VERSION"]
