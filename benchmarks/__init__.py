"""tradeflow's benchmark suite: ``python -m benchmarks [--quick] [--out FILE]``."""
