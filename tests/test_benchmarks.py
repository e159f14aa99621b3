"""The benchmark harness, runner and compare logic, on tiny synthetic benchmarks (no timing is asserted)."""

import copy
import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchmarks import __main__ as runner
from benchmarks import _harness
from benchmarks.compare import compare_runs
from benchmarks.compare import main as compare_main


@pytest.fixture
def registry(monkeypatch):
    """A private registry so synthetic benchmarks neither leak nor clash with the real suite."""
    reg: dict = {}
    monkeypatch.setattr(_harness, "REGISTRY", reg)
    monkeypatch.setattr(runner, "REGISTRY", reg)
    monkeypatch.setattr(runner, "load_all", lambda: [])
    return reg


def _register_counting(calls: dict) -> None:
    @_harness.register("test.counting", unit="items")
    def counting(b):
        n = b.size(quick=10, full=1_000)
        b.param(n=n)

        def target():
            calls["target"] = calls.get("target", 0) + 1
            return list(range(n))

        def baseline():
            calls["baseline"] = calls.get("baseline", 0) + 1

        b.target("fast", target, n=lambda out: len(out))
        b.baseline("slow", baseline, n=n // 2, warm_up=False)


def test_cold_then_warm_repeats_and_ratios(registry):
    calls: dict = {}
    _register_counting(calls)
    res = _harness.run_benchmark("test.counting", quick=True, repeats=4)
    target, baseline = res["measurements"]
    # the callable n is evaluated on the first (cold) call: one cold + four warm calls, not six; then one
    # untimed call of the target under tracemalloc for its memory figure
    assert calls == {"target": 6, "baseline": 4}
    assert target["tracemalloc_peak_mb"] >= 0 and baseline["peak_rss_mb"] > 0
    assert target["n"] == 10 and target["repeats"] == 4 and target["cold_s"] is not None
    assert baseline["cold_s"] is None and baseline["n"] == 5
    assert target["warm_min_s"] <= target["warm_median_s"]
    # the kernel's share of the CPU time is part of it (medians of the same calls; the two clocks split
    # a process's time between user and system each its own way, so allow them a tick apart)
    assert 0.0 <= target["warm_median_sys_s"] <= target["warm_median_cpu_s"] + 0.01
    assert target["throughput_per_s"] == pytest.approx(10 / target["warm_median_s"])
    expected = target["throughput_per_s"] / baseline["throughput_per_s"]
    assert res["speedup_vs_baseline"] == {"fast / slow": pytest.approx(expected)}
    assert res["params"] == {"n": 10}
    assert _harness.run_benchmark("test.counting", quick=False, repeats=1)["params"] == {"n": 1_000}


def test_fresh_process_target_runs_only_its_repeats(registry):
    """A target whose work runs in child processes: no cold call first, no tracemalloc call after (this
    process's memory says nothing of a child's), so the work runs exactly ``repeats`` times."""
    calls = {"n": 0}

    @_harness.register("test.fresh", unit="processes")
    def fresh(b):
        def work():
            calls["n"] += 1

        b.target("child", work, n=1, repeats=3, fresh_process=True)

    (m,) = _harness.run_benchmark("test.fresh", quick=True)["measurements"]
    assert calls["n"] == 3 and m["repeats"] == 3
    assert m["cold_s"] is None and m["tracemalloc_peak_mb"] is None and m["peak_rss_mb"] is None


def test_register_twice_is_an_error(registry):
    _register_counting({})
    with pytest.raises(ValueError, match="registered twice"):
        _register_counting({})


def test_runner_writes_json_with_machine_versions_and_results(registry, tmp_path, capsys):
    _register_counting({})

    @_harness.register("test.other", unit="rows")
    def other(b):
        b.target("t", lambda: None, n=3)

    out = tmp_path / "bench" / "quick.json"
    assert runner.main(["--quick", "--out", str(out), "-k", "counting"]) == 0
    doc = json.loads(out.read_text())
    assert doc["quick"] is True and doc["schema"] == runner.SCHEMA_VERSION
    assert {"platform", "cpu_count"} <= doc["machine"].keys()
    assert {"python", "numpy", "pandas", "numba"} <= doc["versions"].keys()
    assert [b["name"] for b in doc["benchmarks"]] == ["test.counting"]  # -k filtered the other one out
    assert doc["benchmarks"][0]["wall_s"] >= 0
    assert runner.main(["--list"]) == 0
    assert capsys.readouterr().out.split() == ["test.counting", "(items)", "test.other", "(rows)"]


def test_a_failing_benchmark_is_recorded_and_fails_the_run(registry, tmp_path):
    _register_counting({})

    @_harness.register("test.broken", unit="x")
    def broken(b):
        raise RuntimeError("kaput")

    out = tmp_path / "r.json"
    assert runner.main(["--quick", "--out", str(out)]) == 1
    doc = json.loads(out.read_text())
    errors = {b["name"]: b.get("error") for b in doc["benchmarks"]}
    assert errors == {"test.broken": "RuntimeError: kaput", "test.counting": None}


def test_no_match_and_bad_repeats_are_usage_errors(registry):
    assert runner.main(["--quick", "-k", "nothing-matches"]) == 2
    assert runner.main(["--repeats", "0"]) == 2


# ----------------------------------------------------------------------------- compare
def _doc(times: dict[str, float], ratio: float = 5.0, quick: bool = True) -> dict:
    return {"machine": {"platform": "x"}, "benchmarks": [
        {"name": name, "unit": "u", "quick": quick, "params": {"n": 10},
         "measurements": [{"role": "target", "label": "t", "warm_median_s": t},
                          {"role": "baseline", "label": "b", "warm_median_s": t * ratio}],
         "speedup_vs_baseline": {"t / b": ratio}}
        for name, t in times.items()]}


def _status(changes) -> dict:
    return {(c.benchmark, c.label): c.status for c in changes}


def test_compare_flags_slowdowns_beyond_the_threshold():
    old = _doc({"a": 1.0, "b": 1.0, "c": 1.0})
    new = _doc({"a": 1.3, "b": 1.1, "c": 0.5})
    assert _status(compare_runs(old, new, threshold=0.25)) == {
        ("a", "t"): "regressed", ("b", "t"): "unchanged", ("c", "t"): "improved"}
    assert _status(compare_runs(old, new, threshold=0.5))[("a", "t")] == "unchanged"
    changes = {c.benchmark: c.change for c in compare_runs(old, new)}
    assert changes["a"] == pytest.approx(0.3)


def test_compare_by_ratio_judges_the_speedup_not_the_clock():
    old, new = _doc({"a": 1.0}, ratio=10.0), _doc({"a": 3.0}, ratio=7.0)  # slower machine, ratio fell 30 %
    assert _status(compare_runs(old, new, metric="ratio")) == {("a", "t / b"): "regressed"}
    assert _status(compare_runs(old, _doc({"a": 3.0}, ratio=9.0), metric="ratio")) == {("a", "t / b"): "unchanged"}


def test_compare_reports_what_it_cannot_judge():
    old = _doc({"a": 1.0, "gone": 1.0})
    new = _doc({"a": 1.0, "added": 1.0})
    new["benchmarks"][0]["params"] = {"n": 99}
    assert _status(compare_runs(old, new)) == {
        ("a", "*"): "not comparable", ("added", "*"): "only in new", ("gone", "*"): "only in old"}
    broken = copy.deepcopy(old)
    broken["benchmarks"][0]["error"] = "RuntimeError: kaput"
    assert _status(compare_runs(old, broken))[("a", "*")] == "error"


def test_compare_ignores_noise_below_min_seconds():
    old, new = _doc({"a": 1e-5}), _doc({"a": 3e-5})
    assert _status(compare_runs(old, new))[("a", "t")] == "regressed"
    assert _status(compare_runs(old, new, min_seconds=1e-3))[("a", "t")] == "unchanged"


def test_compare_validates_its_parameters():
    with pytest.raises(ValueError, match="'metric' parameter"):
        compare_runs(_doc({}), _doc({}), metric="speed")
    with pytest.raises(ValueError, match="'threshold' parameter"):
        compare_runs(_doc({}), _doc({}), threshold=-0.1)


def test_compare_command_exit_codes(tmp_path, capsys):
    old, new, same = tmp_path / "old.json", tmp_path / "new.json", tmp_path / "same.json"
    old.write_text(json.dumps(_doc({"a": 1.0})))
    new.write_text(json.dumps(_doc({"a": 2.0})))
    same.write_text(json.dumps(_doc({"a": 1.05})))
    assert runner.main(["compare", str(old), str(new)]) == 1
    assert "1 regression(s) beyond 25%" in capsys.readouterr().out
    assert runner.main(["compare", str(old), str(new), "--threshold", "1.5"]) == 0
    assert "no regression beyond 150%" in capsys.readouterr().out
    assert compare_main([str(old), str(same), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["status"] == "unchanged"
    assert compare_main([str(old), str(tmp_path / "missing.json")]) == 2
    (tmp_path / "junk.json").write_text("{not json")
    assert compare_main([str(old), str(tmp_path / "junk.json")]) == 2
    assert "not a benchmark JSON file" in capsys.readouterr().err


def test_a_real_quick_benchmark_runs_and_compares_with_itself(tmp_path):
    """The real suite's simulate benchmark at its quick size, one repeat: its JSON is valid compare input."""
    out = tmp_path / "quick.json"
    assert runner.main(["--quick", "--repeats", "1", "-k", "desk.simulate_day", "--out", str(out)]) == 0
    doc = json.loads(out.read_text())
    (bench,) = doc["benchmarks"]
    roles = [m["role"] for m in bench["measurements"]]
    assert roles == ["target", "baseline", "baseline"] and len(bench["speedup_vs_baseline"]) == 2
    assert bench["measurements"][0]["cold_s"] > 0 and bench["params"]["fills"] > 0
    assert compare_main([str(out), str(out)]) == 0


def test_background_cost_counts_the_days_events_and_fits_a_line():
    """desk.background_cost at its quick size: a higher background rate gives a day more background events
    (counted as the session merges them), the line's figures are finite, and the session's merge is put back."""
    import benchmarks.bench_session  # noqa: F401 - registers the benchmark
    from tradeflow import session as _session

    merge = _session._background_stream
    res = _harness.run_benchmark("desk.background_cost", quick=True)
    assert _session._background_stream is merge
    rates = res["params"]["rates"]
    events = [rates[r]["background_events"] for r in sorted(rates, key=float)]
    assert len(events) >= 2 and bool(np.all(np.diff(events) > 0))
    assert np.isfinite(res["params"]["ns_per_background_event"])
    assert np.isfinite(res["params"]["day_without_background_s"])
    (m,) = res["measurements"]
    assert m["role"] == "target" and m["n"] == events[-1]


def test_python_average_cost_baseline_matches_the_desk(small_run):
    """The plain-Python baseline does the same bookkeeping the desk loop does, so its ratio is fair."""
    from benchmarks.bench_simulate import _python_book
    f = small_run.records["fills"]
    state = _python_book(f["book"], f["instrument"], f["side"], f["qty"], f["price"])
    pos = small_run.records["positions"]
    pos = pos[pos["n_fills"] > 0]
    assert len(state) == len(pos)
    for row in pos:
        qty, avg, realized = state[(int(row["book"]), int(row["instrument"]))]
        assert qty == row["qty"]
        np.testing.assert_allclose([avg, realized], [row["avg_price"], row["realized_pnl"]], rtol=1e-9, atol=1e-6)


finite_times = st.floats(min_value=1e-6, max_value=1e3, allow_nan=False)


@given(old_t=finite_times, new_t=finite_times, threshold=st.floats(min_value=0.01, max_value=2.0))
def test_compare_classification_matches_its_definition(old_t, new_t, threshold):
    (change,) = compare_runs(_doc({"a": old_t}), _doc({"a": new_t}), threshold=threshold)
    rel = new_t / old_t - 1.0
    expected = "regressed" if rel > threshold else "improved" if rel < -threshold else "unchanged"
    assert change.status == expected and change.change == pytest.approx(rel)


def test_timing_pauses_the_garbage_collector_and_restores_it():
    import gc
    seen = []
    _harness._time_call(lambda: seen.append(gc.isenabled()))
    assert seen == [False] and gc.isenabled()


def test_quick_suite_over_budget_warns(registry, monkeypatch, tmp_path, capsys):
    @_harness.register("test.slow", unit="x")
    def slow(b):
        b.target("t", lambda: None, n=1)

    monkeypatch.setattr(runner, "QUICK_BUDGET_S", -1.0)  # every run is over a negative budget
    assert runner.main(["--quick", "--out", str(tmp_path / "q.json")]) == 0
    assert "over its -1 s budget; slowest: test.slow" in capsys.readouterr().err


def test_paired_summary_is_the_pairs_ratio():
    from benchmarks.paired import summarize

    s = summarize([1.0, 2.0, 3.0, 4.0], [2.0, 2.0, 6.0, 4.0])
    assert s["rounds"] == 4 and s["this_min_s"] == 1.0 and s["other_median_s"] == 3.0
    assert s["ratio_median"] == 0.75 and s["ratio_q1"] <= 0.5 < 1.0 <= s["ratio_q3"]
    with pytest.raises(ValueError, match="same length"):
        summarize([1.0], [1.0, 2.0])


def test_paired_runs_both_trees_in_turn(tmp_path):
    # this tree against itself: each worker runs its days, one pair a round
    from pathlib import Path

    from benchmarks.paired import paired_days

    tree = Path(__file__).resolve().parents[1]
    a, b = paired_days(tree, tree, venue="quote", rounds=2, orders=300)
    assert len(a) == len(b) == 2 and all(t > 0 for t in a + b)
    with pytest.raises(ValueError, match="not a tradeflow source tree"):
        paired_days(tree, tmp_path, rounds=1)
    with pytest.raises(ValueError, match="'venue'"):
        paired_days(tree, tree, venue="dark", rounds=1)
    with pytest.raises(ValueError, match="'part'"):
        paired_days(tree, tree, venue="quote", rounds=1, part="loop")


def test_paired_replays_the_session_loop_on_its_captured_arguments():
    # the book day's loop alone, each worker on its own captured arguments
    from pathlib import Path

    from benchmarks.paired import paired_days

    tree = Path(__file__).resolve().parents[1]
    a, b = paired_days(tree, tree, venue="book", rounds=2, orders=300, part="loop")
    assert len(a) == len(b) == 2 and all(t > 0 for t in a + b)
