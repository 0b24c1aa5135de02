"""Claims the links a page leads to in the seen-store, after every other limit has had its say.

It sits last in the spider output chain (lowest order), so the depth, pagination, URL-length and
link-trap middlewares drop what they drop first: only a link that will really be requested is
recorded as claimed by this crawl (a claimed link left unfetched would be resumed, past those
limits, by the next crawl). Requests the spider marked ``lurewatch_unclaimed`` are asked about
through ``spider.claim(request)``; everything else passes unchanged.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any, Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response

UNCLAIMED = "lurewatch_unclaimed"


class SeenStoreClaimsMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        for item in result:
            if self._keep(item):
                yield item

    async def process_spider_output_async(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        async for item in result:
            if self._keep(item):
                yield item

    def _keep(self, item: Any) -> bool:
        if not isinstance(item, Request) or not item.meta.get(UNCLAIMED):
            return True
        claim = getattr(self.crawler.spider, "claim", None)
        return True if claim is None else bool(claim(item))
