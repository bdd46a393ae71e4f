"""Scrapy side of evalcrawl: the site spider, page-fact extraction, dates, message boards,
site probes, middlewares (address guard, budgets, evidence archive) and the item pipeline that
streams facts to the database. Nothing here knows about rubrics' scoring or reports."""
