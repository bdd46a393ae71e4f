"""Scoring: metrics computed from stored page facts, the rubric model and loader, detectors and
the scoring engine. Pure Python: no Scrapy, no click, no network."""
