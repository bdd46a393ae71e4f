"""evalcrawl: evaluate government websites the way China's national evaluations do.

Crawl every site of a region (``evalcrawler.crawl``), score the stored page facts with a YAML
rubric (``evalcrawler.scoring``) and report rankings and regional differences
(``evalcrawler.reports``). ``evalcrawler.pipeline.run`` ties the three together.
"""

__version__ = "0.1.0"
