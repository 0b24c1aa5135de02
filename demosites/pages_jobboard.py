"""CaribJobs Live: HTML shells without any ad content, the script that fills them, and the
JSON API it reads. A crawler that does not run JavaScript sees no ads here."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from demosites.catalogue import DemoAd
from demosites.pages_feeds import atom_link
from demosites.pages_layout import document
from demosites.structured import job_posting

ROOT = "/jobboard/"
PAGE_SIZE = 10
SITE_NAME = "CaribJobs Live"


def _shell(view: str, title: str, head: str = "") -> str:
    body = f"""<header class="masthead"><a class="brand" href="{ROOT}">{SITE_NAME}</a>
<nav class="topnav"><a href="{ROOT}">Latest jobs</a><a href="/">Demo home</a></nav></header>
<div class="layout"><main id="app" data-view="{view}" data-state="loading">
<p class="loading">Loading…</p>
</main></div>
<noscript><p>{SITE_NAME} needs JavaScript to show its jobs.</p></noscript>
<footer class="site-footer"><p>© 2026 {SITE_NAME}. A LureWatch demonstration site: every ad is
fictional.</p></footer>
<script src="{ROOT}app.js" defer></script>"""
    return document(f"{title} | {SITE_NAME}", body, head)


def list_shell() -> str:
    return _shell("list", "Latest jobs", atom_link(f"{SITE_NAME}: latest jobs"))


def ad_shell() -> str:
    return _shell("ad", "Job")


def page_count(total: int) -> int:
    return max(1, -(-total // PAGE_SIZE))


def ad_number(ad: DemoAd) -> int:
    return int(ad.path.rsplit("=", 1)[1])


def list_payload(ads: Sequence[DemoAd], page: int, total: int) -> dict[str, Any]:
    pages = page_count(total)
    return {
        "page": page,
        "pages": pages,
        "total": total,
        "ads": [
            {
                "id": ad_number(ad),
                "title": ad.title,
                "url": ad.path,
                "location": ad.location,
                "datePosted": ad.date_posted,
            }
            for ad in ads
        ],
        "prev": f"{ROOT}?page={page - 1}" if page > 1 else None,
        "next": f"{ROOT}?page={page + 1}" if page < pages else None,
    }


def ad_payload(ad: DemoAd) -> dict[str, Any]:
    return {
        "id": ad_number(ad),
        "title": ad.title,
        "description": ad.text,
        "lang": ad.lang,
        "employer": ad.employer,
        "location": ad.location,
        "datePosted": ad.date_posted,
        "salary": ad.salary,
        "jsonld": job_posting(ad) if ad.markup == "js-jsonld" else None,
    }


def to_json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


# Everything is written with textContent, never innerHTML: the ad text is hostile input.
APP_JS = r"""(function () {
  "use strict";
  var app = document.getElementById("app");
  var params = new URLSearchParams(window.location.search);

  function el(tag, text, attrs) {
    var node = document.createElement(tag);
    if (text) { node.textContent = text; }
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }

  function getJSON(url) {
    return fetch(url, { headers: { "Accept": "application/json" } }).then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.json();
    });
  }

  function done(state) { app.setAttribute("data-state", state); }

  function fail(err) {
    app.replaceChildren(el("h1", "Not available"), el("p", String(err.message || err)));
    done("error");
  }

  function renderList(data) {
    var list = el("ul", "", { "class": "job-list" });
    data.ads.forEach(function (ad) {
      var item = el("li", "", { "class": "job" });
      item.appendChild(el("a", ad.title, { "href": ad.url, "class": "job-link" }));
      item.appendChild(el("div", ad.location + " · " + ad.datePosted, { "class": "card-meta" }));
      list.appendChild(item);
    });
    var pager = el("nav", "", { "class": "pager" });
    if (data.prev) { pager.appendChild(el("a", "« Newer", { "href": data.prev, "rel": "prev" })); }
    pager.appendChild(el("span", "Page " + data.page + " of " + data.pages));
    if (data.next) {
      pager.appendChild(el("a", "Older »", { "href": data.next, "rel": "next", "class": "next" }));
    }
    app.replaceChildren(el("h1", "Latest jobs"), list, pager);
    done("ready");
  }

  function renderAd(ad) {
    document.title = ad.title + " | CaribJobs Live";
    var meta = [ad.datePosted, ad.location, ad.employer, ad.salary].filter(Boolean).join(" · ");
    var body = el("div", "", { "class": "job-description", "lang": ad.lang });
    ad.description.split(/\n\s*\n/).forEach(function (block) {
      body.appendChild(el("p", block));
    });
    var article = el("article", "", { "class": "job-ad" });
    article.append(el("h1", ad.title), el("p", meta, { "class": "listing-meta" }), body);
    app.replaceChildren(article);
    if (ad.jsonld) {
      var script = el("script", "", { "type": "application/ld+json" });
      // Escaped so the JSON cannot end the element when the DOM is serialised back to HTML.
      script.textContent = JSON.stringify(ad.jsonld).replace(/</g, "\\u003c");
      document.head.appendChild(script);
    }
    done("ready");
  }

  if (app.getAttribute("data-view") === "ad") {
    var id = params.get("id") || "";
    if (!/^[0-9]+$/.test(id)) { fail(new Error("no such job")); return; }
    getJSON("/jobboard/api/ad/" + id).then(renderAd).catch(fail);
  } else {
    var page = params.get("page") || "1";
    if (!/^[0-9]+$/.test(page)) { fail(new Error("no such page")); return; }
    getJSON("/jobboard/api/list?page=" + page).then(renderList).catch(fail);
  }
})();
"""
