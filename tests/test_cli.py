import os
import subprocess
import sys

import pytest

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


def _stored_run(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("days = 2\n" + TOML)
    out = tmp_path / "store"
    assert main(["run", "--config", str(cfg), "--seed", "4", "--out", str(out), "--no-progress"]) == 0
    return out


def test_report_prints_the_stored_runs_summary(tmp_path, capsys):
    out = _stored_run(tmp_path)
    run_text = capsys.readouterr().out.split("\n\nwrote")[0]
    assert main(["report", str(out)]) == 0
    text = capsys.readouterr().out
    header, summary = text.split("\n", 1)
    assert header.startswith(f"run store {out} (tradeflow ")
    assert summary.rstrip("\n") == run_text.rstrip("\n")


def test_report_json_and_table(tmp_path, capsys):
    import json

    from tradeflow.results import RunResult
    out = _stored_run(tmp_path)
    capsys.readouterr()
    assert main(["report", str(out), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    stored = RunResult.from_parquet(out)
    assert {k: doc[k] for k in stored.to_dict()} == stored.to_dict()
    assert doc["stats"] == pytest.approx(stored.stats().to_dict(), nan_ok=True)  # the one metric table
    assert len(doc["trade_dates"]) == 2 and doc["seed"] == 4
    assert main(["report", str(out), "--table", "fills", "--rows", "3"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 4 and "fill_id" in lines[0]


def test_report_on_something_that_is_not_a_store(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "not a tradeflow run store" in capsys.readouterr().err


def test_run_refuses_to_overwrite_a_directory_that_is_not_a_store(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("keep me")
    cfg = tmp_path / "c.toml"
    cfg.write_text(TOML)
    assert main(["run", "--config", str(cfg), "--out", str(tmp_path)]) == 2
    assert "refusing to replace" in capsys.readouterr().err
    assert (tmp_path / "notes.txt").read_text() == "keep me"


def test_bench_list_and_a_quick_run(tmp_path, capsys):
    assert main(["bench", "--list"]) == 0
    listed = capsys.readouterr().out
    assert "desk.simulate_day" in listed
    out = tmp_path / "b.json"
    assert main(["bench", "--quick", "--repeats", "1", "-k", "desk.simulate_day", "--out", str(out)]) == 0
    import json
    doc = json.loads(out.read_text())
    assert doc["quick"] is True and [b["name"] for b in doc["benchmarks"]] == ["desk.simulate_day"]


def test_report_into_a_closed_pipe_has_no_traceback(tmp_path):
    out = _stored_run(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "tradeflow", "report", str(out), "--table", "orders",
                             "--rows", "100000"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=os.environ.copy())
    proc.stdout.readline()  # like `| head -1`
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 1
    assert "Traceback" not in err
