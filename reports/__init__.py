"""Reports: pandas analysis (ranking, regional statistics, year over year) and writers for
CSV, one-file HTML and XLSX."""

DEFAULT_SEED = 20200601
"""Seed of the rank-interval simulation unless ``--seed`` says otherwise (here, not in
:mod:`evalcrawler.reports.stability`, so that the command line reads it without numpy)."""
