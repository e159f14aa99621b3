"""Validation of the back office's configs: errors name the class, the field and the value."""

import pytest

from tradeflow.config import BackOfficeConfig, ConfirmationConfig, FaultConfig, SettlementConfig, SimulationConfig


@pytest.mark.parametrize(("cls", "kwargs", "field"), [
    (SettlementConfig, {"netting": "bilateral"}, "netting"),
    (SettlementConfig, {"cycles": {"eur": [("2027-10-11", 1)]}}, "cycles"),
    (SettlementConfig, {"cycles": {"EUR": [("2027-13-11", 1)]}}, "cycles"),
    (SettlementConfig, {"cycles": {"EUR": [("2027-10-11", -1)]}}, "cycles"),
    (SettlementConfig, {"fail_rates": {"USD": 1.5}}, "fail_rates"),
    (SettlementConfig, {"default_fail_rate": -0.1}, "default_fail_rate"),
    (SettlementConfig, {"counterparty_fail_rates": {2: 2.0}}, "counterparty_fail_rates"),
    (SettlementConfig, {"fail_causes": {"bad_weather": 1.0}}, "fail_causes"),
    (SettlementConfig, {"fail_causes": {"on_hold": 0.0}}, "fail_causes"),
    (SettlementConfig, {"partial_share": 2}, "partial_share"),
    (SettlementConfig, {"partial_settlement": 1}, "partial_settlement"),
    (SettlementConfig, {"penalty_bps": {"equity": -1}}, "penalty_bps"),
    (ConfirmationConfig, {"price_mismatch_rate": 1.2}, "price_mismatch_rate"),
    (ConfirmationConfig, {"price_mismatch_rate": 0.6, "no_answer_rate": 0.6}, "no_answer_rate"),
    (ConfirmationConfig, {"resolution_days": -1}, "resolution_days"),
    (FaultConfig, {"qty_keyed_wrong": -0.1}, "qty_keyed_wrong"),
    (FaultConfig, {"missing_trade": 0.7, "late_booking": 0.7}, "late_booking"),
    (FaultConfig, {"statement_error": 3}, "statement_error"),
    (BackOfficeConfig, {"booking_cutoff": "25:00"}, "booking_cutoff"),
])
def test_bad_values_are_named(cls, kwargs, field):
    with pytest.raises(ValueError, match=f"'{field}' parameter of {cls.__name__}"):
        cls(**kwargs)


def test_back_office_sections_load_from_toml(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text("""
[settlement]
netting = "net_all"
default_fail_rate = 0.01
counterparty_fail_rates = { 3 = 0.2 }

[settlement.cycles]
EUR = [["2027-10-11", 1]]

[confirmation]
no_answer_rate = 0.02

[faults]
wrong_book = 0.001
""")
    cfg = SimulationConfig.from_toml(path)
    assert cfg.settlement.netting == "net_all" and cfg.settlement.cycles == {"EUR": (("2027-10-11", 1),)}
    assert cfg.settlement.counterparty_fail_rates == {3: 0.2}
    assert cfg.confirmation.no_answer_rate == 0.02 and cfg.faults.wrong_book == 0.001 and cfg.faults.any
    assert SimulationConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ValueError, match="Unknown key"):
        SimulationConfig.from_dict({"faults": {"typo": 0.1}})


def test_defaults_are_a_clean_calibrated_street():
    cfg = SimulationConfig()
    assert not cfg.faults.any and cfg.confirmation.rates().sum() == 0
    assert cfg.settlement.fail_rates["USD"] == pytest.approx(0.02)
    assert 0.05 <= cfg.settlement.fail_rates["EUR"] <= 0.06
    assert cfg.settlement.penalty_bps["equity"] == 1.0 and cfg.settlement.penalty_currencies == ("EUR",)
