"""Benchmark harness (issue 8): ``python -m bench.run`` (``make bench``). Not part of ``make test``."""
