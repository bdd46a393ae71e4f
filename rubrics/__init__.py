"""Rubrics shipped with evalcrawl (YAML files in this package)."""
