"""Benchmark harness for threadsearch (issue 4): ``python -m bench`` or ``make bench``."""
