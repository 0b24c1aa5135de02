"""Canonical URLs and the stable ad id derived from them."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Parameters that change per visit or per campaign, never per ad. Exact names (plus utm_*):
# a prefix such as "ref" would also drop "refno", which may be the ad's own id.
_TRACKING = {"fbclid", "gclid", "mc_cid", "mc_eid", "ref", "sessionid", "sid", "phpsessid",
             "jsessionid"}  # fmt: skip


# A crawl canonicalises one URL several times (the link, its request, the claim, the fetch, the
# ad): the cache makes the repeats free. Bounded, so memory stays flat however long the crawl.
@lru_cache(maxsize=8192)
def canonical_url(url: str) -> str:
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    query = sorted(
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in _TRACKING and not k.lower().startswith("utm_")
    )
    path = parts.path or "/"
    return urlunsplit((scheme, host, path, urlencode(query), ""))


def ad_id(url: str) -> str:
    return hashlib.sha256(canonical_url(url).encode()).hexdigest()[:20]
