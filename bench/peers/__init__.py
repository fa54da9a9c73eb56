"""Runners for the peer dedup tools, each run by ``bench/perf.py`` in its own venv."""
