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
    return tradeflow.simulate(cfg, seed=4).records["orders"]


def test_replacements_against_their_originals(replace_run):
    orders = pd.DataFrame(replace_run)
    by_id = orders.set_index("order_id")
    rep = orders[orders["origin"] == OrderOrigin.REPLACE]
    assert len(rep) > 100
    orig = by_id.loc[rep["parent_id"]]
    orig.index = rep.index
    too_late = rep["reject_reason"] == RejectReason.TOO_LATE_TO_REPLACE
    unknown = rep["reject_reason"] == RejectReason.UNKNOWN_ORDER
    # a replace comes too late exactly when the original had filled in full before it
    filled_before = (orig["status"] == OrderStatus.FILLED) & (orig["ts_done"] <= rep["ts"])
    np.testing.assert_array_equal(too_late.to_numpy(), filled_before.to_numpy())
    # ... and names an unknown order exactly when the original was refused
    np.testing.assert_array_equal(unknown.to_numpy(), (orig["status"] == OrderStatus.REJECTED).to_numpy())
    assert too_late.any()
    # an accepted replacement stands for what the original had left, never more
    live = ~too_late & ~unknown
    assert (rep["qty"][live] + orig["filled_qty"][live] <= orig["qty"][live]).all()
    partial = live & (orig["filled_qty"] > 0)
    assert partial.any() or rep["qty"][live].eq(orig["qty"][live]).all()
    # together an original and its replacement never trade more than the client asked for
    assert (rep["filled_qty"] + orig["filled_qty"] <= orig["qty"]).all()
