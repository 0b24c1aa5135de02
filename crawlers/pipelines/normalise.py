"""Every ad leaves the crawler in one shape: clean bounded text, canonical URL and id."""

from __future__ import annotations

from typing import Self, TypeVar

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from core.ad import Ad, AdRemoved
from core.text import clean_text
from core.urls import ad_id, canonical_url
from crawlers.config import lurewatch_settings

# What the crawlers yield: an ad, or the finding that a stored one is gone.
Item = TypeVar("Item", bound=Ad | AdRemoved)

MAX_TITLE_CHARS = 300
MAX_FIELD_CHARS = 300


class NormalisePipeline:
    def __init__(self, max_ad_chars: int) -> None:
        self.max_ad_chars = max_ad_chars

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(max_ad_chars=lurewatch_settings(crawler.settings).max_ad_chars)

    def process_item(self, item: Item) -> Item:
        if isinstance(item, AdRemoved):
            return item  # names a stored ad by its id: nothing to clean
        if not isinstance(item, Ad):
            raise DropItem(
                f"not an Ad but {type(item).__name__}: crawlers only yield core.ad.Ad"
                " and core.ad.AdRemoved"
            )
        item.url = canonical_url(item.url)
        item.id = ad_id(item.url)
        item.title = clean_text(item.title, MAX_TITLE_CHARS)
        item.text = clean_text(item.text, self.max_ad_chars)
        item.employer = clean_text(item.employer, MAX_FIELD_CHARS)
        item.location = clean_text(item.location, MAX_FIELD_CHARS)
        item.salary = clean_text(item.salary, MAX_FIELD_CHARS)
        item.date_posted = clean_text(item.date_posted, 40)
        if not item.text:
            raise DropItem(f"no text in ad {item.url} (extraction: {item.extraction or 'unknown'})")
        return item
