"""The crawl stage: a Scrapy project that fetches public job ads and turns them into ``core.ad.Ad``.

Layout follows Scrapy's: ``spiders/`` (what to fetch), ``extract/`` (how a page becomes an ad),
``pipelines/`` (normalise, classify; the index pipelines live in ``index/``), ``extensions/``
(stats and progress), ``runner.py`` (run several sources from Python).
"""
