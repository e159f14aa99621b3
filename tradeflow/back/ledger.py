"""The double-entry ledger: exact int64 postings that balance to zero per asset."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tradeflow.back import _kernels
from tradeflow.back.settlement import to_minor
from tradeflow.schema import LEDGER_DT

__all__ = ["book_fills", "trial_balance", "balances"]

def book_fills(fills: np.ndarray, instrument_ccy: np.ndarray, minor_scale: np.ndarray, *,
               first_txn_id: int = 0, first_posting_id: int = 0) -> np.ndarray:
    """Trade-date ledger transactions, one per fill (``txn_id`` = ``first_txn_id`` + position), in order.

    Each transaction posts securities (book vs counterparty) and principal cash
    (book vs counterparty) in opposite directions, plus the fee (book cash vs the
    book's fee expense) when it is not zero. Cash is in int64 minor units, so every
    transaction sums to exactly zero per asset.

    Parameters
    ----------
    fills : ndarray of FILL_DT
    instrument_ccy : int ndarray of shape (n_instruments,)
        Currency id of each instrument.
    minor_scale : float64 ndarray of shape (n_instruments,)
        10 ** minor digits of each instrument's currency.
    first_txn_id, first_posting_id : int, default=0
        Where the ids start (they run on across the days of a run).
    """
    inst = fills["instrument"]
    principal = to_minor(fills["qty"] * fills["price"], minor_scale[inst])
    fee = to_minor(fills["fee"], minor_scale[inst])
    ccy = instrument_ccy[inst].astype(np.int32)
    out = np.zeros(6 * fills.shape[0], dtype=LEDGER_DT)
    n = _kernels.book_fills_nb(fills, principal, fee, ccy, np.int64(first_txn_id), np.int64(first_posting_id), out)
    return out[:n]


def balances(ledger: np.ndarray, *, as_of_ts: int | None = None) -> pd.DataFrame:
    """Balance of every (account kind, owner, asset) from the postings up to ``as_of_ts``."""
    rows = ledger if as_of_ts is None else ledger[ledger["ts"] <= as_of_ts]
    df = pd.DataFrame({k: rows[k] for k in ("account_kind", "owner", "asset_is_cash", "asset", "amount")})
    return df.groupby(["account_kind", "owner", "asset_is_cash", "asset"], sort=True, as_index=False)[
        "amount"].sum()


def trial_balance(ledger: np.ndarray) -> pd.DataFrame:
    """Sum of all balances per asset; every row is zero when the books balance."""
    df = pd.DataFrame({k: ledger[k] for k in ("asset_is_cash", "asset", "amount")})
    return df.groupby(["asset_is_cash", "asset"], as_index=False)["amount"].sum()
