"""Cancel/replace: the replacement stands for what the original has left, and comes too late after a full fill."""

import numpy as np
import pandas as pd
import pytest

import tradeflow
from tests.conftest import small_config
from tradeflow.schema import OrderOrigin, OrderStatus, RejectReason


@pytest.fixture(scope="module", params=["book", "quote"])
def replace_run(request):
    cfg = small_config(6_000, flow={"replace_rate": 0.4, "cancel_rate": 0.0, "cancel_after_seconds": 120.0},
                       execution={"venue": request.param})
    return request.param, tradeflow.simulate(cfg, seed=4).records["orders"]


def test_replacements_against_their_originals(replace_run):
    venue, records = replace_run
    orders = pd.DataFrame(records)
    by_id = orders.set_index("order_id")
    rep = orders[orders["origin"] == OrderOrigin.REPLACE]
    assert len(rep) > 100
    orig = by_id.loc[rep["parent_id"]]
    orig.index = rep.index
    too_late = rep["reject_reason"] == RejectReason.TOO_LATE_TO_REPLACE
    unknown = rep["reject_reason"] == RejectReason.UNKNOWN_ORDER
    # a replace comes too late exactly when the original had filled in full before it, and names
    # an unknown order exactly when the original was refused (unless a market-access control,
    # checked first, refuses it)
    control = ~rep["reject_reason"].isin([RejectReason.NONE, RejectReason.TOO_LATE_TO_REPLACE,
                                          RejectReason.UNKNOWN_ORDER])
    filled_before = (orig["status"] == OrderStatus.FILLED) & (orig["ts_done"] <= rep["ts"])
    np.testing.assert_array_equal(too_late.to_numpy(), (filled_before & ~control).to_numpy())
    refused = orig["status"] == OrderStatus.REJECTED
    np.testing.assert_array_equal(unknown.to_numpy(), (refused & ~control).to_numpy())
    assert too_late.any()
    # an accepted replacement stands for what the original had left, never more
    live = rep["reject_reason"] == RejectReason.NONE
    assert live.sum() > 50
    assert (rep["qty"][live] + orig["filled_qty"][live] <= orig["qty"][live]).all()
    if venue == "book":  # the quote venue fills a limit in full at once: nothing is partly filled
        assert (live & (orig["filled_qty"] > 0) & (rep["qty"] < orig["qty"])).any()
    # together an original and its replacement never trade more than the client asked for
    assert (rep["filled_qty"] + orig["filled_qty"] <= orig["qty"]).all()
