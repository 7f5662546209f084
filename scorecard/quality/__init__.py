"""Data quality (issue 4): Great Expectations suites built from the dataset contracts and
``rules.yaml``, a runner that validates them with GX 1.x (imported lazily), and the ledger
``mart.data_quality``.

Nothing here imports Great Expectations at module load: only :func:`scorecard.quality.runner.validate`
does, when it runs.
"""
