"""Which runs of a study are already done: the committed runs of its dataset (``run_many(..., store=)``).

Workers commit each run into the study's runs dataset themselves (``runs/run=<k>/part-0.parquet``
written last, holding the run's summary row exactly), so the dataset *is* the manifest: an
interrupted study (a crash, Ctrl-C, a lost client, a killed driver) still says which runs are
done, and ``run_many(..., resume=True)`` runs only the rest, each run exactly once. JSON keeps
floats exact (shortest repr round-trips), so a resumed summary equals an uninterrupted one.
"""

from __future__ import annotations

from typing import Any

from tradeflow.parallel._worker import Task, seed_columns


class Manifest:
    """The finished rows of a study's dataset; on resume, hands back the rows of runs already done."""

    def __init__(self, store: str, *, resume: bool, filesystem: Any = None) -> None:
        from tradeflow.dataset import open_runs

        self.store = store
        self.done: dict[int, dict[str, Any]] = open_runs(store, filesystem=filesystem).rows()
        if self.done and not resume:
            raise ValueError(f"The 'store' parameter of run_many names a study that already holds {len(self.done)} "
                             f"committed runs ({store}). Pass resume=True to continue it, or use a new path.")

    def reusable(self, task: Task) -> dict[str, Any] | None:
        """The finished row of ``task``'s run if it was committed with the same seed."""
        row = self.done.get(task.run)
        if row is None or row.get("status") != "ok":
            return None
        seed = seed_columns(task.seed)
        if row.get("seed_entropy") != seed["seed_entropy"] or row.get("seed_spawn_key") != seed["seed_spawn_key"]:
            raise ValueError(f"The 'resume' parameter of run_many cannot resume {self.store}: run {task.run} "
                             f"there has seed {row.get('seed_entropy')}/{row.get('seed_spawn_key')}, this batch "
                             f"{seed['seed_entropy']}/{seed['seed_spawn_key']}. Use another store or the same seeds.")
        return row

    def write(self, row: dict[str, Any]) -> None:
        """Nothing to do: the worker committed the run (failed runs are not stored and rerun on resume)."""

    def close(self) -> None:
        pass
