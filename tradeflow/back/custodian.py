"""A simulated custodian and nostro bank: what they hold for each book, and their daily statements."""

from __future__ import annotations

import numpy as np

from tradeflow.back import nb as _kernels
from tradeflow.schema import STATEMENT_DT, AccountKind

__all__ = ["Custodian"]


class Custodian:
    """Securities (per book x instrument) and cash (per book x currency) held at the street.

    The custodian moves what settled (it sees the same settlement outcomes as the back
    office) and reports one statement line per account per day: opening, movements and
    closing. Fees and penalties are invoiced separately and never move through it.
    """

    def __init__(self, n_books: int, n_instruments: int, n_currencies: int) -> None:
        self.securities = np.zeros((n_books, n_instruments), np.int64)
        self.cash = np.zeros((n_books, n_currencies), np.int64)

    def statement(self, events: np.ndarray, obligations: np.ndarray, as_of: int) -> np.ndarray:
        """Apply a day's settlement ``events`` and return that day's statement lines.

        Parameters
        ----------
        events : ndarray of SETTLEMENT_EVENT_DT (the day's)
        obligations : ndarray of OBLIGATION_DT (indexed by ``obligation_id`` - its first id)
        as_of : int
        """
        first = int(obligations["obligation_id"][0]) if len(obligations) else 0
        sec_move = np.zeros_like(self.securities)
        cash_move = np.zeros_like(self.cash)
        bad = _kernels.settled_moves_nb(np.ascontiguousarray(events), np.ascontiguousarray(obligations),
                                        np.int64(first), sec_move, cash_move)
        if bad:
            raise ValueError(f"The 'events' parameter of Custodian.statement has {bad} events whose obligation "
                             f"(ids from {first}) or its book, instrument or currency is outside the accounts.")
        nb, ni = self.securities.shape
        nc = self.cash.shape[1]
        out = np.zeros(nb * ni + nb * nc, dtype=STATEMENT_DT)
        out["as_of"] = as_of
        out["account_kind"][: nb * ni] = AccountKind.CUSTODY
        out["account_kind"][nb * ni:] = AccountKind.NOSTRO
        out["book"] = np.concatenate([np.repeat(np.arange(nb), ni), np.repeat(np.arange(nb), nc)])
        out["asset"] = np.concatenate([np.tile(np.arange(ni), nb), np.tile(np.arange(nc), nb)])
        out["opening"] = np.concatenate([self.securities.ravel(), self.cash.ravel()])
        out["movements"] = np.concatenate([sec_move.ravel(), cash_move.ravel()])
        self.securities += sec_move
        self.cash += cash_move
        out["closing"] = np.concatenate([self.securities.ravel(), self.cash.ravel()])
        return out
