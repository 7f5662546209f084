"""Special Projects Scorecard: ingest, score and report Shenzhen's Ten Major S&T Industry Special Projects."""

__version__ = "0.1.0"
