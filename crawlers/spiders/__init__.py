"""Spiders of the LureWatch project (``SPIDER_MODULES``)."""
