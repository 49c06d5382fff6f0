"""Crawl jobs over GraphQL: ``crawlJob(id)``, ``requestCrawl``, ``cancelCrawl``."""
