"""Configs are truly immutable and hashable: no mutable dict fields, round trips unchanged."""

from __future__ import annotations

import copy
import dataclasses
import pickle

import pytest

import tradeflow
from tradeflow.config._validate import FrozenDict


def _leaves(cfg, path="cfg"):
    for f in dataclasses.fields(cfg):
        v = getattr(cfg, f.name)
        if dataclasses.is_dataclass(v):
            yield from _leaves(v, f"{path}.{f.name}")
        elif isinstance(v, tuple) and v and dataclasses.is_dataclass(v[0]):
            for i, x in enumerate(v):
                yield from _leaves(x, f"{path}.{f.name}[{i}]")
        else:
            yield f"{path}.{f.name}", v


def test_no_mutable_field_anywhere_and_the_config_hashes():
    cfg = tradeflow.SimulationConfig.from_dict({"settlement": {"fail_rates": {"USD": 0.1}},
                                                "pretrade": {"max_position_qty_by_symbol": {"AAPL": 5}}})
    for path, v in _leaves(cfg):
        assert not isinstance(v, list | set | bytearray), path
        assert not isinstance(v, dict) or isinstance(v, FrozenDict), path
        hash(v)
    assert hash(cfg) == hash(tradeflow.SimulationConfig.from_dict(cfg.to_dict()))
    assert len({cfg, tradeflow.SimulationConfig.from_dict(cfg.to_dict()), tradeflow.SimulationConfig()}) == 2


def test_mappings_refuse_mutation_but_stay_dicts():
    cfg = tradeflow.SimulationConfig()
    rates = cfg.settlement.fail_rates
    for mutate in (lambda: rates.__setitem__("USD", 1.0), lambda: rates.update(USD=1.0), rates.clear,
                   lambda: rates.pop("USD"), lambda: rates.setdefault("JPY", 0.1), lambda: rates.__delitem__("USD")):
        with pytest.raises(TypeError, match="immutable"):
            mutate()
    assert isinstance(rates, dict) and rates == dict(rates)
    assert dataclasses.replace(cfg.settlement, fail_rates={"USD": 0.5}).fail_rates == {"USD": 0.5}


def test_round_trips_unchanged(tmp_path):
    cfg = tradeflow.SimulationConfig.from_dict({"settlement": {"fail_rates": {"USD": 0.1, "EUR": 0.2}}})
    d = cfg.to_dict()
    assert type(d["settlement"]["fail_rates"]) is dict  # plain data out
    assert tradeflow.SimulationConfig.from_dict(d) == cfg
    assert pickle.loads(pickle.dumps(cfg)) == cfg and copy.deepcopy(cfg) == cfg
