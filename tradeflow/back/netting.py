"""From instructions to obligations: gross, or bilaterally netted (the BIS DvP models 1-3)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tradeflow.back import nb as _kernels
from tradeflow.schema import OBLIGATION_DT, SettlementStatus

__all__ = ["net_obligations", "NETTING_MODELS", "group_in_order", "fold_into_open"]

NETTING_MODELS = ("gross", "net_cash", "net_all")


def net_obligations(instructions: np.ndarray, model: str = "gross", *,
                    first_obligation_id: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Group settlement instructions into the obligations that actually settle.

    ``gross`` (BIS model 1) and ``net_cash`` (model 2: securities move gross, cash is
    netted when posted) keep one obligation per instruction; ``net_all`` (model 3)
    nets securities and cash bilaterally per book x counterparty x instrument x
    settlement date, whatever the trade dates: Friday's T+2 and Monday's T+1 trades due
    the same Tuesday (a cycle switch) are one obligation. (Across the batches of a run,
    :func:`fold_into_open` adds a day's obligations to those still pending for the same
    key.) The obligation's ``trade_date`` is that of its first instruction.

    Parameters
    ----------
    instructions : ndarray of SETTLEMENT_DT
    model : {"gross", "net_cash", "net_all"}
    first_obligation_id : int, default=0

    Returns
    -------
    obligations : ndarray of OBLIGATION_DT
        ``qty`` > 0 the book receives, ``cash`` > 0 the book pays.
    obligation_of : int64 ndarray of shape (n_instructions,)
        The obligation id of each instruction.
    """
    if model not in NETTING_MODELS:
        raise ValueError(f"The 'model' parameter of net_obligations must be one of {list(NETTING_MODELS)}. "
                         f"Got {model!r} instead.")
    ins = instructions
    n = ins.shape[0]
    signed_qty = ins["side"].astype(np.int64) * ins["qty"]
    cash_amount = np.ascontiguousarray(ins["cash_amount"], np.int64)
    if model == "net_all" and n:  # the trade date is no part of the key
        codes = _factorize(ins["book"], ins["counterparty"], ins["instrument"], ins["settle_date"])
    else:
        codes = np.arange(n, dtype=np.int64)
    rep, count, qty, cash, group = (np.empty(n, np.int64) for _ in range(5))
    m = _kernels.net_groups_nb(codes, signed_qty, cash_amount, rep, count, qty, cash, group)
    out = np.zeros(m, dtype=OBLIGATION_DT)
    _kernels.obligations_nb(np.ascontiguousarray(ins), rep, count, qty, cash, np.int64(first_obligation_id), out)
    return out, first_obligation_id + group


def fold_into_open(open_obligations: np.ndarray, obligations: np.ndarray, obligation_of: np.ndarray, *,
                   as_of: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``net_all`` across trade dates: add a day's new obligations to the open ones they net with.

    A new obligation folds into an open obligation of the same book x counterparty x
    instrument x settlement date that is still PENDING and not yet due (``settle_date >
    as_of``: never attempted, so nothing of it has moved). Quantities, cash and instruction
    counts add up; the open obligation keeps its id and trade date.

    Parameters
    ----------
    open_obligations : ndarray of OBLIGATION_DT
        The obligations still open (a copy: the updated rows are returned).
    obligations : ndarray of OBLIGATION_DT
        Today's new obligations, ids consecutive from ``obligations["obligation_id"][0]``.
    obligation_of : int64 ndarray
        The new obligation id of each of today's instructions.
    as_of : int
        Today (days since the epoch).

    Returns
    -------
    open_obligations : the open rows, updated
    obligations : the new obligations that did not fold, renumbered consecutively from the same first id
    obligation_of : each instruction's obligation id (an open obligation's when folded)
    folded : int64 ndarray, the rows of ``open_obligations`` that received instructions
    """
    m = obligations.shape[0]
    if m == 0 or open_obligations.shape[0] == 0:
        return open_obligations, obligations, obligation_of, np.zeros(0, np.int64)
    first = int(obligations["obligation_id"][0])
    live = np.flatnonzero((open_obligations["status"] == SettlementStatus.PENDING)
                          & (open_obligations["settle_date"] > as_of))
    fields = ("book", "counterparty", "instrument", "settle_date")
    open_keys = zip(*(open_obligations[f][live].tolist() for f in fields), strict=True)
    where = {key: int(r) for key, r in zip(open_keys, live, strict=True)}
    new_keys = zip(*(obligations[f].tolist() for f in fields), strict=True)
    target = np.array([where.get(key, -1) for key in new_keys], np.int64)
    merge = target >= 0
    if not merge.any():
        return open_obligations, obligations, obligation_of, np.zeros(0, np.int64)
    out = open_obligations.copy()
    for f in ("qty", "cash", "n_instructions"):
        np.add.at(out[f], target[merge], obligations[f][merge])
    keep = ~merge
    new_id = np.empty(m, np.int64)
    new_id[keep] = first + np.arange(int(keep.sum()))
    new_id[merge] = out["obligation_id"][target[merge]]
    kept = obligations[keep].copy()
    kept["obligation_id"] = new_id[keep]
    return out, kept, new_id[np.asarray(obligation_of, np.int64) - first], np.unique(target[merge])


def group_in_order(*keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group rows by equal ``keys``, groups numbered in order of their first row.

    Returns
    -------
    group : int64 ndarray of shape (n,)
        The group of each row.
    first : int64 ndarray of shape (n_groups,)
        The first row of each group.
    """
    n = keys[0].shape[0]
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    codes = _factorize(*keys)
    group, first = np.empty(n, np.int64), np.empty(n, np.int64)
    count, zeros = np.empty(n, np.int64), np.zeros(n, np.int64)
    m = _kernels.net_groups_nb(codes, zeros, zeros, first, count, np.empty(n, np.int64), np.empty(n, np.int64), group)
    return group, first[:m]


def _factorize(*keys: np.ndarray) -> np.ndarray:
    """A code per row, equal for equal ``keys`` (int64, in no particular order)."""
    stacked = np.empty((keys[0].shape[0], len(keys)), np.int64)
    for j, k in enumerate(keys):
        stacked[:, j] = k
    packed = np.empty(stacked.shape[0], np.int64)
    if _kernels.pack_keys_nb(stacked, packed):  # one int64 per row, hash-factorized: O(n)
        return pd.factorize(packed, sort=False)[0].astype(np.int64)
    return _group_by_sort(keys)[0]  # too wide to pack: a lexicographic sort


def _group_by_sort(keys: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray]:
    stacked = np.stack([np.asarray(k, np.int64) for k in keys], axis=1)
    _, first, group = np.unique(stacked, axis=0, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.shape[0])
    return rank[group.ravel()], first[order]
