"""The shared low layer: search kernels against numpy, the record log against concatenation, time units."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from tradeflow.core import time as tf_time
from tradeflow.core.records import RecordLog, concat_records, take_records
from tradeflow.core.search import find_sorted_nb, lower_bound_nb
from tradeflow.schema import LEDGER_DT, ORDER_DT


@given(st.lists(st.integers(-50, 50), max_size=40), st.integers(-60, 60))
def test_search_kernels_agree_with_numpy(values, x):
    a = np.sort(np.array(values, np.int64))
    assert lower_bound_nb(a, x) == np.searchsorted(a, x, side="left")
    hits = np.flatnonzero(a == x)
    assert find_sorted_nb(a, x) == (hits[0] if hits.size else -1)


@given(st.lists(st.integers(0, 300), max_size=12), st.integers(1, 5), st.booleans())
def test_record_log_equals_concatenation(sizes, expected, take):
    rng = np.random.default_rng(len(sizes))
    parts = []
    for n in sizes:
        p = np.zeros(n, LEDGER_DT)
        p["posting_id"] = rng.integers(0, 10**9, n)
        p["amount"] = rng.integers(-10**6, 10**6, n)
        parts.append(p)
    log = RecordLog(LEDGER_DT, expected_appends=expected)
    given_up = []
    for p in parts:
        given_up.append(p.copy() if take else p)
        log.append(given_up[-1], take=take)
        given_up[-1]["amount"] += 0 if take else 1  # a copy unless given up: the caller's later changes stay out
        if take and log.n == len(p) and len(p):
            assert np.shares_memory(log.view, given_up[-1])  # the first records given up are kept, not copied
    if not take:
        for p in parts:
            p["amount"] -= 1
    want = concat_records(parts, LEDGER_DT)
    assert log.n == len(want)
    assert np.array_equal(log.final(), want) and log.final().dtype == LEDGER_DT


def _same_fields(a, b):
    """Every field bit for bit (NaN payloads too); numpy leaves an aligned dtype's padding unwritten."""
    return a.shape == b.shape and all(a[f].tobytes() == b[f].tobytes() for f in a.dtype.names)


@given(st.lists(st.integers(0, 50), max_size=6), st.integers(0, 10**6))
def test_record_copies_as_bytes_equal_numpys_field_by_field_copies(sizes, seed):
    # concat_records and take_records copy whole records as bytes; numpy copies field by field:
    # the same records, NaN payloads and every field included
    rng = np.random.default_rng(seed)
    parts = []
    for n in sizes:
        p = np.zeros(n, ORDER_DT)
        for f in ORDER_DT.names:
            kind = ORDER_DT[f].kind
            p[f] = (np.where(rng.random(n) < 0.2, np.nan, rng.normal(0, 1e3, n)) if kind == "f"
                    else rng.integers(-100, 100, n))
        parts.append(p)
    joined = concat_records(parts, ORDER_DT)
    want = np.concatenate(parts) if parts else np.zeros(0, ORDER_DT)
    assert joined.dtype == ORDER_DT and _same_fields(joined, want)
    idx = rng.integers(0, max(joined.size, 1), 2 * joined.size) if joined.size else np.zeros(0, np.int64)
    taken = take_records(joined, idx)
    assert taken.dtype == ORDER_DT and _same_fields(taken, joined[idx])
    assert np.array_equal(take_records(np.arange(5.0), np.array([4, 0])), [4.0, 0.0])
    mixed = [np.zeros(2, ORDER_DT), np.zeros(1, ORDER_DT).astype(ORDER_DT.newbyteorder())]
    assert concat_records(mixed, ORDER_DT).shape == (3,)  # parts of another dtype: numpy's concatenation


def test_time_units_agree_with_numpy():
    assert tf_time.NS_PER_DAY == np.timedelta64(1, "D") // np.timedelta64(1, "ns")
    assert tf_time.NS_PER_SECOND == np.timedelta64(1, "s") // np.timedelta64(1, "ns")
    assert tf_time.NS_PER_YEAR == 365 * tf_time.NS_PER_DAY


def test_record_log_final_shrinks_its_buffer_in_place_and_stays_usable():
    # a buffer much larger than its records is shrunk in place (the same array, no copy); held by a view,
    # the records are copied instead; appends after either go on from the same records
    rows = np.zeros(3_000, LEDGER_DT)
    rows["posting_id"] = np.arange(3_000)
    log = RecordLog(LEDGER_DT, expected_appends=4)
    log.append(rows[:1_000])
    buf = id(log._buf)
    out = log.final()
    assert id(out) == buf and out.shape == (1_000,)
    np.testing.assert_array_equal(out["posting_id"], np.arange(1_000))
    log.append(rows[1_000:1_500])
    np.testing.assert_array_equal(log.final()["posting_id"], np.arange(1_500))
    np.testing.assert_array_equal(out["posting_id"], np.arange(1_000))  # the earlier final is left as it was
    held = RecordLog(LEDGER_DT, expected_appends=4)
    held.append(rows[:1_000])
    view = held.view
    out = held.final()
    assert not np.shares_memory(out, view)
    np.testing.assert_array_equal(out["posting_id"], np.arange(1_000))
