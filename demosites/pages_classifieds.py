"""Island Classifieds: static listing, category, detail and boilerplate pages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from demosites.catalogue import DemoAd
from demosites.pages_feeds import rss_link
from demosites.pages_layout import document, esc, paragraphs
from demosites.structured import job_posting, number_text, parse_pay, script_safe_json

ROOT = "/classifieds/"
PAGE_SIZE = 12
SITE_NAME = "Island Classifieds"


@dataclass(frozen=True)
class Section:
    slug: str
    name: str
    keywords: tuple[str, ...]

    @property
    def path(self) -> str:
        return f"{ROOT}category/{self.slug}/"


# Corpus categories are analysts' labels ("farm_fee_debt"); a real site shows broad sections.
SECTIONS = (
    Section("hospitality", "Hotels, bars & tourism",
            ("hotel", "restaurant", "waitress", "bar", "cruise", "touris", "villa", "hospitality",
             "kitchen", "chef", "resort")),
    Section("domestic-care", "Domestic work & care",
            ("domestic", "nanny", "care", "clean", "housekeep", "live_in", "au_pair", "helper",
             "elder", "cook")),
    Section("farm-factory", "Farm, factory & construction",
            ("farm", "factory", "construction", "mining", "fish", "agri", "warehouse", "plant",
             "sugar", "textile", "gold", "boat", "driver", "logistic", "labour", "labor")),
    Section("modelling-events", "Modelling, events & beauty",
            ("model", "dancer", "hostess", "massage", "webcam", "escort", "beauty", "event",
             "spa", "entertain", "music", "promo")),
    Section("office-sales", "Office, sales & call centres",
            ("call", "office", "sales", "admin", "tech", "account", "retail", "shop", "customer",
             "secret", "teach", "bank", "it_")),
    Section("travel-study", "Travel, study & sports",
            ("scholar", "study", "sport", "travel", "visa", "marriage", "student", "exchange",
             "migra")),
)  # fmt: skip
OTHER = Section("other", "Other jobs", ())

INFO_PAGES = {
    "about": (
        "About Island Classifieds",
        "Island Classifieds is a fictional notice board that the LureWatch project serves on "
        "your own computer. It imitates a small regional classifieds site so that crawlers and "
        "reviewers can be tried out without touching a real one.",
    ),
    "post": (
        "Post an ad",
        "Posting is closed on this demonstration site. Real boards ask for a verified phone "
        "number and review each job offer before it goes live.",
    ),
    "safety": (
        "Safety tips",
        "A genuine employer never asks you to pay for a job, never keeps your passport and "
        "never asks you to keep an offer secret from your family. When in doubt, ask a "
        "labour office or a trusted organisation before you travel.",
    ),
    "terms": (
        "Terms of use",
        "Ads on this site are invented. Nothing here is an offer of employment, and nothing "
        "should be acted on.",
    ),
    "privacy": (
        "Privacy",
        "This demonstration site keeps no logs and sets no cookies.",
    ),
    "contact": (
        "Contact",
        "There is nobody to contact: the site exists only while LureWatch serves it.",
    ),
}


def section_for(ad: DemoAd) -> Section:
    category = ad.category.lower()
    for section in SECTIONS:
        if any(word in category for word in section.keywords):
            return section
    return OTHER


def listing_path(base: str, page: int) -> str:
    return base if page == 1 else f"{base}page/{page}.html"


def _sidebar(sections: Sequence[Section]) -> str:
    links = "\n".join(f'<li><a href="{esc(s.path)}">{esc(s.name)}</a></li>' for s in sections)
    return f"""<aside class="sidebar">
<nav class="categories"><h2>Categories</h2><ul>
<li><a href="{ROOT}">All ads</a></li>
{links}
</ul></nav>
<section class="tips"><h2>Stay safe</h2>
<p>Never pay a fee to get a job. Never hand your passport to an employer. Meet in public
places and tell someone you trust where you are going.</p>
<p><a href="{ROOT}safety.html">More safety tips</a></p></section>
<section class="promo"><h2>Sell faster</h2><p>Boost your ad to the top of its category for
seven days.</p><p><a href="{ROOT}post.html">Post an ad</a></p></section>
</aside>"""


def _frame(title: str, main: str, sections: Sequence[Section], head_extra: str = "") -> str:
    body = f"""<header class="masthead">
<a class="brand" href="{ROOT}">{SITE_NAME}</a>
<nav class="topnav"><a href="{ROOT}">Browse ads</a><a href="{ROOT}post.html">Post an ad</a>
<a href="{ROOT}safety.html">Safety tips</a><a href="{ROOT}about.html">About</a></nav>
</header>
<div class="layout">
{_sidebar(sections)}
<main>
{main}
</main>
</div>
<footer class="site-footer">
<nav><a href="{ROOT}about.html">About us</a><a href="{ROOT}terms.html">Terms</a>
<a href="{ROOT}privacy.html">Privacy</a><a href="{ROOT}contact.html">Contact</a></nav>
<p>© 2026 {SITE_NAME}. A LureWatch demonstration site: every ad is fictional.</p>
</footer>"""
    return document(f"{title} | {SITE_NAME}", body, head_extra)


def snippet(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit].rsplit(" ", 1)[0] + "…"


def _card(ad: DemoAd) -> str:
    badge = ' <span class="badge">Members only</span>' if ad.private else ""
    return (
        f'<li class="ad-card"><a class="ad-link" href="{esc(ad.path)}">{esc(ad.title)}</a>{badge}\n'
        f'<div class="card-meta">{esc(ad.location)} · {esc(ad.date_posted)}</div>\n'
        f'<p class="snippet" lang="{esc(ad.lang)}">{esc(snippet(ad.text))}</p></li>'
    )


def listing_page(
    ads: Sequence[DemoAd],
    page: int,
    pages: int,
    total: int,
    base: str,
    heading: str,
    sections: Sequence[Section],
) -> str:
    first = (page - 1) * PAGE_SIZE + 1
    pager = []
    if page > 1:
        pager.append(f'<a rel="prev" href="{esc(listing_path(base, page - 1))}">« Previous</a>')
    pager.append(f"<span>Page {page} of {pages}</span>")
    if page < pages:
        pager.append(
            f'<a rel="next" class="next" href="{esc(listing_path(base, page + 1))}">Next »</a>'
        )
    cards = "\n".join(_card(ad) for ad in ads)
    main = f"""<h1>{esc(heading)}</h1>
<p class="count">Ads {first}–{first + len(ads) - 1} of {total}</p>
<ul class="ad-list">
{cards}
</ul>
<nav class="pager">{" ".join(pager)}</nav>"""
    title = heading if page == 1 else f"{heading}, page {page}"
    return _frame(title, main, sections, rss_link(f"{SITE_NAME}: latest job ads"))


def meta_plain(ad: DemoAd) -> str:
    parts = [f"Posted {esc(ad.date_posted)}", esc(ad.location)]
    if ad.employer:
        parts.append(f"Employer: {esc(ad.employer)}")
    if ad.salary:
        parts.append(f"Pay: {esc(ad.salary)}")
    return " · ".join(parts)


def meta_microdata(ad: DemoAd) -> str:
    city = ad.location.split(",")[0].strip()
    country = ad.location.split(",", 1)[-1].strip()
    parts = [
        f'Posted <time itemprop="datePosted" datetime="{esc(ad.date_posted)}">'
        f"{esc(ad.date_posted)}</time>",
        '<span itemprop="jobLocation" itemscope itemtype="https://schema.org/Place">'
        '<span itemprop="address" itemscope itemtype="https://schema.org/PostalAddress">'
        f'<span itemprop="addressLocality">{esc(city)}</span>, {esc(country)}'
        f'<meta itemprop="addressCountry" content="{esc(ad.country_code)}"></span></span>',
    ]
    if ad.employer:
        parts.append(
            'Employer: <span itemprop="hiringOrganization" itemscope '
            'itemtype="https://schema.org/Organization">'
            f'<span itemprop="name">{esc(ad.employer)}</span></span>'
        )
    pay = parse_pay(ad.salary)
    if ad.salary and pay:
        value = (
            f'<meta itemprop="value" content="{number_text(pay.low)}">'
            if pay.high is None
            else f'<meta itemprop="minValue" content="{number_text(pay.low)}">'
            f'<meta itemprop="maxValue" content="{number_text(pay.high)}">'
        )
        unit = f'<meta itemprop="unitText" content="{pay.unit}">' if pay.unit else ""
        parts.append(
            'Pay: <span itemprop="baseSalary" itemscope itemtype="https://schema.org/MonetaryAmount">'
            f'<meta itemprop="currency" content="{pay.currency}">'
            '<span itemprop="value" itemscope itemtype="https://schema.org/QuantitativeValue">'
            f"{value}{unit}{esc(ad.salary)}</span></span>"
        )
    elif ad.salary:
        parts.append(f"Pay: {esc(ad.salary)}")
    return " · ".join(parts)


def detail_page(ad: DemoAd, sections: Sequence[Section]) -> str:
    section = section_for(ad)
    microdata = ad.markup == "microdata"
    scope = ' itemscope itemtype="https://schema.org/JobPosting"' if microdata else ""
    title_prop = ' itemprop="title"' if microdata else ""
    text_prop = ' itemprop="description"' if microdata else ""
    lang_meta = f'<meta itemprop="inLanguage" content="{esc(ad.lang)}">\n' if microdata else ""
    meta = meta_microdata(ad) if microdata else meta_plain(ad)
    main = f"""<nav class="crumbs"><a href="{ROOT}">All ads</a> ›
<a href="{esc(section.path)}">{esc(section.name)}</a></nav>
<article class="listing" lang="{esc(ad.lang)}"{scope}>
{lang_meta}<h1{title_prop}>{esc(ad.title)}</h1>
<p class="listing-meta">{meta}</p>
<div class="listing-body"{text_prop}>
{paragraphs(ad.text)}
</div>
</article>
<section class="actions"><p><a href="{ROOT}contact.html">Report this ad</a> ·
<a href="{esc(section.path)}">More in {esc(section.name)}</a></p></section>"""
    head = ""
    if ad.markup == "jsonld":
        head = (
            f'<script type="application/ld+json">\n{script_safe_json(job_posting(ad))}\n</script>\n'
        )
    return _frame(ad.title, main, sections, head)


def info_page(key: str, sections: Sequence[Section]) -> str:
    title, text = INFO_PAGES[key]
    return _frame(title, f"<h1>{esc(title)}</h1>\n<p>{esc(text)}</p>", sections)
