"""The middle office's benchmarks report what CI compares: the cost curve, the fused loop's code (no timing)."""

from benchmarks import bench_middle
from benchmarks._harness import run_benchmark
from benchmarks.compare import compare_runs


def test_var_scaling_reports_the_cost_curve_as_same_run_ratios(monkeypatch):
    monkeypatch.setattr(bench_middle, "SCALING_GRID", [(2, 10, 40), (1, 30, 20)])
    monkeypatch.setattr(bench_middle, "SCALING_REFERENCE", (2, 10, 20))
    res = run_benchmark("middle.var_scaling", quick=True, repeats=1)
    assert res["params"]["reference"] == [2, 10, 20] and res["params"]["points"] == [[2, 10, 40], [1, 30, 20]]
    roles = [(m["role"], m["label"]) for m in res["measurements"]]
    assert roles == [("baseline", "books=2 instruments=10 scenarios=20"),
                     ("target", "books=2 instruments=10 scenarios=40"),
                     ("target", "books=1 instruments=30 scenarios=20")]
    ref = res["measurements"][0]["throughput_per_s"]
    for m in res["measurements"][1:]:  # each point's cost relative to the reference, measured in the same run
        ratio = res["speedup_vs_baseline"][f"{m['label']} / books=2 instruments=10 scenarios=20"]
        assert ratio == m["throughput_per_s"] / ref
    # two runs with the same grid are comparable figure by figure on the ratio metric
    changes = compare_runs({"benchmarks": [res]}, {"benchmarks": [res]}, metric="ratio")
    assert len(changes) == 2 and all(c.status == "unchanged" for c in changes)


def test_incremental_var_reports_the_fused_loops_vector_width():
    width = bench_middle._simd_width()
    assert width in ("zmm", "ymm", "xmm", "scalar")
