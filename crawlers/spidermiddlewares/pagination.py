"""``DEPTH_LIMIT`` for sites whose listings run over many pages.

Scrapy counts every link as one level deeper, so with ``DEPTH_LIMIT = 6`` the ads on page 7 of a
listing are never reached. Here the next page of a listing (a request whose meta has
``lurewatch_next_page``) is as deep as the page that links to it; listings are instead bounded
by ``LUREWATCH_PAGINATION_LIMIT`` pages, so endless "next" links (calendars) still end.
"""

from __future__ import annotations

from typing import Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.spidermiddlewares.depth import DepthMiddleware

NEXT_PAGE = "lurewatch_next_page"
PAGE_NUMBER = "lurewatch_page_number"


class PaginationDepthMiddleware(DepthMiddleware):
    max_pagination: int = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = super().from_crawler(crawler)
        middleware.max_pagination = crawler.settings.getint("LUREWATCH_PAGINATION_LIMIT", 200)
        return middleware

    def get_processed_request(self, request: Request, response: Response | None) -> Request | None:
        if response is None or not request.meta.get(NEXT_PAGE):
            return super().get_processed_request(request, response)
        number = response.meta.get(PAGE_NUMBER, 1) + 1
        if self.max_pagination and number > self.max_pagination:
            self.stats.inc_value("lurewatch/pagination_limit_reached")
            return None
        request.meta["depth"] = response.meta["depth"]
        request.meta[PAGE_NUMBER] = number
        return request
