"""Keeps, for evidence capture, what a response was like when it arrived.

Scrapy's HttpCompressionMiddleware (590; here as ``guard.DecompressionGuard``) decodes
gzip/deflate/br/zstd bodies and deletes the Content-Encoding header. This middleware sits just
outside it (595), so on the way in it sees the headers as the server sent them, and the time the
response arrived. ``crawlers.evidence`` reads them from ``response.meta[RECEIVED_KEY]`` to record
the original headers and note the decoding.
"""

from __future__ import annotations

import time
from typing import Any

from scrapy import Request
from scrapy.http import Response

RECEIVED_KEY = "lurewatch_received"
ORDER = 595  # between HttpCompressionMiddleware (590) and RedirectMiddleware (600)


class ReceivedMiddleware:
    def process_request(self, request: Request) -> None:
        # A retried request carries its predecessor's meta: that record is not about this fetch.
        request.meta.pop(RECEIVED_KEY, None)

    def process_response(self, request: Request, response: Response) -> Response:
        request.meta[RECEIVED_KEY] = received_record(response)
        return response


def received_record(response: Response) -> dict[str, Any]:
    # Plain bytes and a float: meta may be pickled into a disk or Redis queue on a retry.
    headers = [(name, value) for name, values in response.headers.items() for value in values]
    return {"at": time.time(), "headers": headers}
