"""``manifest.jsonl`` of a batch's run store: one line per finished run, written as it finishes.

The summary's rows reach the disk one by one, so an interrupted batch (a crash, Ctrl-C, a
lost client) still says which runs are done, and ``run_many(..., resume=True)`` runs only the
rest. JSON keeps floats exact (shortest repr round-trips), so a resumed summary equals an
uninterrupted one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from tradeflow.parallel._worker import Task, run_store_path, seed_columns

MANIFEST = "manifest.jsonl"


def _plain(v: Any) -> Any:
    if isinstance(v, tuple):
        return [_plain(x) for x in v]
    if isinstance(v, np.generic):
        return v.item()
    return v


class Manifest:
    """Appends finished rows; on resume, hands back the rows of runs already done with the same seed."""

    def __init__(self, store_dir: Path, *, resume: bool) -> None:
        self.path = store_dir / MANIFEST
        self.store_dir = store_dir
        self.done: dict[int, dict[str, Any]] = {}
        if resume and self.path.exists():
            with open(self.path) as fh:
                for line in fh:
                    try:
                        row = json.loads(line)
                    except json.JSONDecodeError:  # a line cut short by the crash we resume from
                        continue
                    for key in ("seed_entropy", "seed_spawn_key"):
                        if isinstance(row.get(key), list):
                            row[key] = tuple(row[key])
                    self.done[int(row["run"])] = row  # the last line of a run wins
        self._fh = open(self.path, "a" if resume else "w")  # noqa: SIM115 - closed in close()

    def reusable(self, task: Task) -> dict[str, Any] | None:
        """The finished row of ``task``'s run if it completed with the same seed (and its store is there)."""
        row = self.done.get(task.run)
        if row is None or row.get("status") != "ok":
            return None
        seed = seed_columns(task.seed)
        if row.get("seed_entropy") != seed["seed_entropy"] or row.get("seed_spawn_key") != seed["seed_spawn_key"]:
            raise ValueError(f"The 'resume' parameter of run_many cannot resume {self.store_dir}: run {task.run} "
                             f"there has seed {row.get('seed_entropy')}/{row.get('seed_spawn_key')}, this batch "
                             f"{seed['seed_entropy']}/{seed['seed_spawn_key']}. Use another store or the same seeds.")
        if not run_store_path(self.store_dir, task.run).is_dir():
            return None
        return row

    def write(self, row: dict[str, Any]) -> None:
        self._fh.write(json.dumps({k: _plain(v) for k, v in row.items()}) + "\n")
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()
