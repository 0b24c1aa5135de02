"""Spider middlewares of the crawl stage."""
