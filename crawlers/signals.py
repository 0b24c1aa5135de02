"""Signals LureWatch's crawler components send each other (``crawler.signals.send_catch_log``)."""

# A page could not be used: fetch failed (timeout, DNS, refused, HTTP 5xx/4xx after retries), or
# it was skipped (too large, not HTML, redirect loop). Sent once per page, with keyword arguments
# ``url: str`` (the page asked for), ``kind: str`` (short, stable: "timeout", "http-500",
# "too-large", "not-html", "connection", "redirect-loop", "dns", "other") and ``reason: str``
# (one human line). Receivers: stats (errors by kind), the run log (failed pages, retry-failed).
page_failed = object()
