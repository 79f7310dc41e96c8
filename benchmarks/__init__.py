"""Benchmark scripts (`make bench`); figures go to docs/performance.md."""
