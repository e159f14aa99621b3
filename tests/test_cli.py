import os
import subprocess
import sys

from tradeflow.cli import main

TOML = """
[flow]
orders_per_day = 1500
"""


def test_cli_run_prints_summary_and_writes_tables(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text(TOML)
    out = tmp_path / "out"
    assert main(["run", "--config", str(cfg), "--seed", "3", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Orders by status" in text and "Breaks by kind" in text and "seed=3" in text
    from tradeflow.results import RunResult
    assert RunResult.from_parquet(out).summary().splitlines()[1:] == text.split("\n\nwrote")[0].splitlines()[1:]


def test_cli_reports_bad_config_cleanly(tmp_path, capsys):
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[flow]\norders_per_day = -3\n")
    assert main(["run", "--config", str(cfg)]) == 2
    assert "'orders_per_day'" in capsys.readouterr().err


def test_python_dash_m(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text(TOML)
    proc = subprocess.run([sys.executable, "-m", "tradeflow", "run", "--config", str(cfg)],
                          capture_output=True, text=True, timeout=300, env=os.environ.copy())
    assert proc.returncode == 0, proc.stderr
    assert "P&L by book" in proc.stdout
