"""Downloader middlewares of the LureWatch crawlers (registered in crawlers/settings.py)."""
