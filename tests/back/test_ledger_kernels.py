"""Ledger kernels against plain pandas: asset totals (trial balance) and trade-date balances."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tradeflow.back import nb as bk
from tradeflow.back.ledger import asset_totals, trial_balance
from tradeflow.schema import LEDGER_DT, AccountKind, TxnType


@st.composite
def ledgers(draw):
    n = draw(st.integers(0, 80))
    led = np.zeros(n, dtype=LEDGER_DT)
    led["txn_id"] = np.arange(n) // 3
    led["account_kind"] = draw(hnp.arrays(np.int8, n, elements=st.integers(0, 7)))
    led["owner"] = draw(hnp.arrays(np.int32, n, elements=st.integers(0, 3)))
    led["asset_is_cash"] = draw(hnp.arrays(np.bool_, n))
    led["asset"] = draw(hnp.arrays(np.int32, n, elements=st.integers(0, 5)))
    led["amount"] = draw(hnp.arrays(np.int64, n, elements=st.integers(-(2**40), 2**40) | st.integers(-100, 100)))
    led["txn_type"] = draw(hnp.arrays(np.int8, n, elements=st.integers(0, 2)))
    led["value_date"] = draw(hnp.arrays(np.int64, n, elements=st.integers(0, 3)))
    return led


def test_kernel_txn_type_constant_matches_schema():
    assert bk.T_TRADE == TxnType.TRADE


@given(led=ledgers())
def test_asset_totals_match_a_pandas_groupby(led):
    exp = {}
    for c, a, x in zip(led["asset_is_cash"].tolist(), led["asset"].tolist(), led["amount"].tolist(), strict=True):
        exp[(c, a)] = exp.get((c, a), 0) + x  # python ints: exact
    got = asset_totals(led)
    assert {(bool(c), int(a)): int(x) for c, a, x in zip(got["asset_is_cash"], got["asset"], got["amount"],
                                                         strict=True)} == exp
    ref = pd.DataFrame({k: led[k] for k in ("asset_is_cash", "asset", "amount")}).groupby(
        ["asset_is_cash", "asset"], as_index=False)["amount"].sum()
    pd.testing.assert_frame_equal(trial_balance(led).sort_values(["asset_is_cash", "asset"]).reset_index(drop=True),
                                  ref.astype({"asset": np.int32}), check_dtype=False)


@given(led=ledgers())
def test_trade_balances_match_numpy(led):
    pos, cash = np.zeros((4, 6), np.int64), np.zeros((4, 6), np.int64)
    assert bk.trade_balances_nb(led, pos, cash) == 0
    exp_pos, exp_cash = np.zeros((4, 6), np.int64), np.zeros((4, 6), np.int64)
    t = led["txn_type"] == TxnType.TRADE
    m = t & (led["account_kind"] == AccountKind.SECURITIES) & ~led["asset_is_cash"]
    np.add.at(exp_pos, (led["owner"][m], led["asset"][m]), led["amount"][m])
    m = t & (led["account_kind"] == AccountKind.CASH) & led["asset_is_cash"]
    np.add.at(exp_cash, (led["owner"][m], led["asset"][m]), led["amount"][m])
    np.testing.assert_array_equal(pos, exp_pos)
    np.testing.assert_array_equal(cash, exp_cash)
    # a posting outside the arrays is counted, never written
    small_pos, small_cash = np.zeros((1, 1), np.int64), np.zeros((1, 1), np.int64)
    outside = bk.trade_balances_nb(led, small_pos, small_cash)
    tm = t & (((led["account_kind"] == AccountKind.SECURITIES) & ~led["asset_is_cash"])
              | ((led["account_kind"] == AccountKind.CASH) & led["asset_is_cash"]))
    assert outside == int((tm & ((led["owner"] > 0) | (led["asset"] > 0))).sum())


@given(led=ledgers(), small=st.booleans())
def test_one_pass_day_balances_equal_the_separate_kernels(led, small):
    # the reconciler's one pass: trade balances and both location holdings, as the single-purpose kernels give
    shape = (1, 1) if small else (4, 6)  # small: some trade postings fall outside and are counted
    pos, cash, custody, nostro = (np.zeros(shape, np.int64) for _ in range(4))
    outside = bk.day_balances_nb(led, 2, pos, cash, custody, nostro)
    want_pos, want_cash, want_custody, want_nostro = (np.zeros(shape, np.int64) for _ in range(4))
    assert outside == bk.trade_balances_nb(led, want_pos, want_cash)
    bk.location_holdings_nb(led, 2, np.int8(AccountKind.CUSTODY), want_custody)
    bk.location_holdings_nb(led, 2, np.int8(AccountKind.NOSTRO), want_nostro)
    for got, want in ((pos, want_pos), (cash, want_cash), (custody, want_custody), (nostro, want_nostro)):
        np.testing.assert_array_equal(got, want)


def test_asset_totals_reject_negative_ids():
    led = np.zeros(2, dtype=LEDGER_DT)
    led["asset"] = [-1, 0]
    with pytest.raises(ValueError, match="negative asset id"):
        asset_totals(led)


@given(led=ledgers())
def test_unbalanced_txns_match_a_groupby(led):
    out_t, out_a = np.empty(len(led), np.int64), np.empty(len(led), np.int64)
    n = bk.unbalanced_txns_nb(led, out_t, out_a)
    sums = {}
    for t, c, a, x in zip(led["txn_id"].tolist(), led["asset_is_cash"].tolist(), led["asset"].tolist(),
                          led["amount"].tolist(), strict=True):
        sums[(t, c, a)] = sums.get((t, c, a), 0) + x
    exp = sorted((t, x) for (t, _, _), x in sums.items() if x != 0)
    assert sorted(zip(out_t[:n].tolist(), out_a[:n].tolist(), strict=True)) == exp
