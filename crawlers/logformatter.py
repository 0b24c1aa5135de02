"""Log lines about dropped and failed items that stay one line long, whatever an ad contains."""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Spider
from scrapy.http import Response
from scrapy.logformatter import LogFormatter, LogFormatterResult
from twisted.python.failure import Failure


class LureLogFormatter(LogFormatter):
    """Scrapy's default appends the whole item to these lines: up to ``max_ad_chars`` of hostile
    text each. We log what went wrong and the ad's URL instead."""

    def dropped(
        self,
        item: Any,
        exception: BaseException,
        response: Response | Failure | None,
        spider: Spider,
    ) -> LogFormatterResult:
        result = super().dropped(item, exception, response, spider)
        return {
            "level": result["level"],
            "msg": "Dropped: %(exception)s",
            "args": {"exception": exception},
        }

    def item_error(
        self,
        item: Any,
        exception: BaseException,
        response: Response | Failure | None,
        spider: Spider,
    ) -> LogFormatterResult:
        return {
            "level": logging.ERROR,
            "msg": "Error processing ad %(url)s",
            "args": {"url": getattr(item, "url", "?")},
        }
