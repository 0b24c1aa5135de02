"""Item pipelines of the crawl stage (the store and search pipelines live in ``index/``)."""
