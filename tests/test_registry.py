"""The one record registry: every face reads it, every kernel's codes come from the data model."""

from __future__ import annotations

from enum import IntEnum

import numpy as np
import pytest

from tradeflow import schema
from tradeflow.back.office import BACK_OFFICE_RECORDS
from tradeflow.cli import TABLES as CLI_TABLES
from tradeflow.results.back import BackTables
from tradeflow.results.front import FrontTables
from tradeflow.results.middle import MiddleTables
from tradeflow.schema import TABLES, Table


def test_every_table_has_a_frame_and_valid_enums():
    for name, t in TABLES.items():
        assert t.name == name and t.office in schema.OFFICES
        view = {"front": FrontTables, "middle": MiddleTables, "back": BackTables}[t.office]
        assert t.frame in view.table_names(), t.frame
        for field, enum in t.enums.items():
            assert issubclass(enum, IntEnum) and np.issubdtype(t.dtype[field], np.integer), (name, field)


def test_faces_read_the_registry():
    assert set(CLI_TABLES) == {t.frame for t in TABLES.values()}
    assert BACK_OFFICE_RECORDS == {n: t.dtype for n, t in TABLES.items() if t.office == "back"}


def test_table_rejects_unknown_fields_and_offices():
    with pytest.raises(ValueError, match="office"):
        Table("x", schema.FILL_DT, "desk", "bad office")
    with pytest.raises(ValueError, match="nope"):
        Table("x", schema.FILL_DT, "front", "bad field", {"nope": schema.Side})


def test_records_to_frame_labels_by_table():
    ev = np.zeros(2, schema.ORDER_EVENT_DT)
    ev["kind"] = [schema.EventKind.REJECTED, schema.EventKind.FILLED]
    ev["reason"] = [schema.RejectReason.THROTTLE, schema.RejectReason.NONE]
    df = schema.records_to_frame(ev, table="events")
    assert df["kind"].tolist() == ["REJECTED", "FILLED"]
    assert df["reason"].tolist() == ["THROTTLE", "NONE"]
    br = np.zeros(1, schema.BREACH_DT)
    br["action"] = -1
    assert schema.records_to_frame(br, table="breaches")["action"].isna().all()


@pytest.mark.parametrize("module, prefix, enum", [
    ("tradeflow.middle.nb", "R_", schema.RejectReason),
    ("tradeflow.middle.nb", "S_", schema.OrderStatus),
    ("tradeflow.middle.nb", "E_", schema.EventKind),
    ("tradeflow.middle.nb", "EV_", schema.DeskEvent),
    ("tradeflow.middle.nb", "B_", schema.BreachLevel),
    ("tradeflow.front.nb", "K_", schema.BookEvent),
    ("tradeflow.back.nb", "S_", schema.SettlementStatus),
])
def test_kernel_codes_equal_the_data_model(module, prefix, enum):
    import importlib

    mod = importlib.import_module(module)
    names = [n for n in dir(mod) if n.startswith(prefix) and n[len(prefix):] in enum.__members__]
    assert names, (module, prefix)
    for n in names:
        assert getattr(mod, n) == enum[n[len(prefix):]]
