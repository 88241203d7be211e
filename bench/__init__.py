"""Benchmarks run by `make bench`: each beside a raw baseline measured in the same run."""
