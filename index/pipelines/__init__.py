"""Scrapy item pipelines that hand crawled ads to the store and the search index.

They live here rather than in ``crawlers/`` so that imports point one way (index depends on
crawlers' configuration, never the reverse); ``crawlers.settings.ITEM_PIPELINES`` names them.
"""
