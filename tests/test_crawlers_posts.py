"""Pages of many posts: public Telegram channel previews and Facebook-style public pages, read
from saved pages and from the demo sites, and login walls that yield nothing."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree
from parsel import Selector

from core.text import clean_text
from crawlers.extract.postpage import first_line
from crawlers.extract.posts import _MAYBE_POSTS, MAX_POST_CHARS, MAX_POSTS, PostPage, extract_posts
from demosites import HOSTILE_PAYLOAD, DemoSites
from demosites.testing import write_sample_seed

PAGES = Path(__file__).resolve().parent / "pages"
CHANNEL_URL = "https://t.me/s/islandjobs"
FACEBOOK_URL = "https://social.example/carib.work.travel"


def read(name: str, url: str) -> PostPage | None:
    return extract_posts(Selector(text=(PAGES / name).read_text(encoding="utf-8")), url)


def telegram_page(messages: str, head: str = "", url: str = CHANNEL_URL) -> PostPage | None:
    html = (
        f"<html><head>{head}</head><body><section class='tgme_channel_history'>{messages}"
        "</section></body></html>"
    )
    return extract_posts(Selector(text=html), url)


def message(number: int, text: str = "Cook wanted", channel: str = "islandjobs") -> str:
    return (
        f'<div class="tgme_widget_message js-widget_message" data-post="{channel}/{number}">'
        f'<div class="tgme_widget_message_text js-message_text">{text}</div></div>'
    )


# --- Telegram ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def channel() -> PostPage:
    page = read("telegram_channel.html", CHANNEL_URL)
    assert page is not None
    return page


def test_telegram_preview_gives_one_post_per_text_message(channel: PostPage) -> None:
    assert channel.kind == "telegram" and not channel.login_wall
    # 102 is a photo without a caption and 110 a service message: nothing to read.
    assert [p.url for p in channel.posts] == [
        f"https://t.me/islandjobs/{n}" for n in (101, 104, 105, 107, 112)
    ]
    first = channel.posts[0].fields
    assert first.extraction == "telegram"
    assert first.title == "HOSTESSES WANTED IN DUBAI 🇦🇪"
    assert first.employer == "Island Jobs Abroad"
    assert first.date_posted == "2026-03-02T08:15:00+00:00"
    assert first.text.splitlines() == [
        "HOSTESSES WANTED IN DUBAI 🇦🇪",
        "Young ladies 18-25 for a VIP club. Visa and ticket paid by the agency, you pay back "
        "from your first salary.",
        "Earn US$ 3,000 per month + tips.",
        "Passports are kept safe by the manager.",
        "Contact on WhatsApp only: +1 555 0100",
    ]


def test_telegram_caption_of_a_photo_is_kept_and_times_become_utc(channel: PostPage) -> None:
    photo = channel.posts[1].fields
    assert photo.text.startswith("Bailarinas para Panamá 💃 Pasaje pagado")
    assert photo.date_posted == "2026-03-02T14:30:00+00:00"  # was 10:30 at -04:00


def test_telegram_reply_quote_is_left_out_and_link_preview_kept(channel: PostPage) -> None:
    update = channel.posts[2].fields
    assert "QUOTED TEXT" not in update.text and "Somebody Else" not in update.employer
    assert update.text == (
        "Update: only 3 places left for Friday's flight.\n\n"
        "VIP Careers\nDubai club hostess programme\nRegistration fee 200 USD, refundable."
    )


def test_telegram_hostile_text_stays_text_and_scripts_are_dropped(channel: PostPage) -> None:
    hostile = channel.posts[3].fields
    assert "paste <script>alert(1)</script> in your reply" in hostile.text
    assert "pwned" not in hostile.text and "document.title" not in hostile.text


def test_telegram_older_page_comes_from_the_prev_link(channel: PostPage) -> None:
    assert channel.older_page == "https://t.me/s/islandjobs?before=101"


def test_telegram_preview_is_recognised_by_markup_on_any_host() -> None:
    page = read("telegram_channel.html", "http://127.0.0.1:8631/telegram/s/islandjobs")
    assert page is not None and page.kind == "telegram"
    assert page.posts[0].url == "http://127.0.0.1:8631/islandjobs/101"
    assert page.older_page == "http://127.0.0.1:8631/s/islandjobs?before=101"


def test_telegram_load_more_link_without_href_builds_the_older_page() -> None:
    more = '<a class="tme_messages_more js-messages_more" data-before="40"></a>'
    page = telegram_page(more + message(40) + message(41), url=CHANNEL_URL + "?before=42")
    assert page is not None
    assert page.older_page == "https://t.me/s/islandjobs?before=40"


@pytest.mark.parametrize(
    "prev",
    [
        "https://elsewhere.example/s/islandjobs?before=10",  # another host
        "/s/islandjobs?before=99",  # not older than this page: a loop
        "/s/islandjobs?after=10",  # newer, not older
        "/s/islandjobs?before=abc",
        "javascript:alert(1)",
    ],
)
def test_telegram_older_page_must_be_older_and_on_the_same_host(prev: str) -> None:
    page = telegram_page(message(40) + message(41), head=f'<link rel="prev" href="{prev}">')
    assert page is not None and len(page.posts) == 2
    assert page.older_page is None


def test_telegram_skips_bad_post_ids_and_caps_posts_and_text() -> None:
    bad = message(1, channel="no/such") + message(2, channel="")
    bad += '<div class="tgme_widget_message" data-post="x/abc"></div>'
    many = "".join(message(n) for n in range(1, MAX_POSTS + 60))
    page = telegram_page(bad + many)
    assert page is not None and len(page.posts) == MAX_POSTS
    long_text = "word " * (MAX_POST_CHARS // 2)
    page = telegram_page(message(7, long_text))
    assert page is not None
    assert len(page.posts[0].fields.text) <= MAX_POST_CHARS
    assert len(page.posts[0].fields.title) <= 151


def test_telegram_channel_without_messages_is_an_empty_posts_page() -> None:
    html = (
        '<div class="tgme_channel_info"><div class="tgme_channel_info_header_title">X</div></div>'
    )
    page = extract_posts(Selector(text=html), CHANNEL_URL)
    assert page == PostPage("telegram", [], None)


# --- Facebook-style pages ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def facebook() -> PostPage:
    page = read("facebook_page.html", FACEBOOK_URL)
    assert page is not None
    return page


def test_facebook_page_gives_one_post_per_article_with_words(facebook: PostPage) -> None:
    assert facebook.kind == "facebook" and not facebook.login_wall
    # 8995 is a photo without words; 8985 names a permalink on another host.
    assert [p.url for p in facebook.posts] == [
        "https://social.example/carib.work.travel/posts/9001",
        "https://social.example/carib.work.travel/posts/8990",
        "https://social.example/permalink.php?story_fbid=8980&id=100200",
    ]
    first = facebook.posts[0].fields
    assert first.extraction == "facebook"
    assert first.title == "DANCERS WANTED FOR EUROPE 🌍"
    assert first.employer == "Caribbean Work & Travel"
    assert first.date_posted == "2026-04-01T09:30:00+00:00"
    assert first.text == (
        "DANCERS WANTED FOR EUROPE 🌍\nFree visa and flight, pay back later. We keep your "
        "passport safe during the contract.\n\nMessage us on WhatsApp only."
    )


def test_facebook_comments_buttons_and_scripts_are_not_post_text(facebook: PostPage) -> None:
    texts = "\n".join(p.fields.text for p in facebook.posts)
    assert "COMMENT TEXT" not in texts and "See more" not in texts
    assert "ANOTHER HOST" not in texts and "pwned" not in texts
    last = facebook.posts[-1].fields
    assert last.text.endswith("Apply in person <script>alert(1)</script>")
    assert last.employer == "Jean Recruiter"
    assert last.date_posted == "2026-03-29T22:00:00+00:00"
    assert facebook.posts[1].fields.date_posted == "2026-03-31T10:00:00+00:00"  # data-utime


def test_facebook_older_page_is_the_see_more_link(facebook: PostPage) -> None:
    assert facebook.older_page == "https://social.example/carib.work.travel?cursor=8980"


def test_login_wall_yields_nothing_and_says_so() -> None:
    page = read("facebook_login_wall.html", "https://social.example/groups/vip")
    assert page == PostPage("login", [], None, login_wall=True)


def test_a_long_page_with_a_login_box_is_not_a_wall() -> None:
    prose = "<p>" + "Kitchen assistant needed for a busy hotel restaurant. " * 80 + "</p>"
    html = (
        f"<html><body><h1>Kitchen assistant</h1>{prose}<aside><p>You must log in to continue"
        "</p><form><input type=password name=p></form></aside></body></html>"
    )
    assert extract_posts(Selector(text=html), "https://jobs.example/ad/1") is None


@pytest.mark.parametrize(
    "name", ["jsonld_detail.html", "listing.html", "plain_detail.html", "listing_cards.html"]
)
def test_ordinary_ad_and_listing_pages_are_not_posts_pages(name: str) -> None:
    assert read(name, "https://jobs.example/ads/page.html") is None


# The query each page is first asked, as it was written before it was made cheaper.
_MAYBE_POSTS_AS_WRITTEN = etree.XPath(
    'boolean(//*[contains(@class, "tgme_")] or //*[@role="article"]'
    ' or //form//input[@type="password" or @type="PASSWORD"])'
)


@pytest.mark.parametrize(
    "body",
    [
        '<div class="tgme_widget_message">x</div>',
        '<p class="a  tgme_"></p>',
        '<p class="TGME_x"></p>',
        '<p data-class="tgme_x"></p>',
        '<article role="article"></article>',
        '<div role="Article"></div>',
        '<div role=" article"></div>',
        "<form><div><input type=password></div></form>",
        "<form><form><input type=PASSWORD></form></form>",
        "<form><input type=Password></form>",
        "<input type=password><form></form>",
        "<form></form><input type=password>",
        "<form><input type=text><button>go</button></form>",
        "<p>nothing</p><!-- tgme_ role=article -->",
    ],
)
def test_first_question_answers_as_the_query_it_replaced(body: str) -> None:
    root = Selector(text=f"<html><body>{body}</body></html>").root
    assert _MAYBE_POSTS(root) is _MAYBE_POSTS_AS_WRITTEN(root)


# --- the demo sites, end to end over HTTP ------------------------------------------------------


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoSites]:
    seed = write_sample_seed(tmp_path_factory.mktemp("seed"), per_language=80)
    with DemoSites(seed_dir=seed) as running:
        yield running


def flat(text: str) -> str:
    return " ".join(text.split())


def walk(start: str) -> tuple[list[PostPage], int]:
    pages: list[PostPage] = []
    url: str | None = start
    while url is not None and len(pages) < 20:
        with urllib.request.urlopen(url, timeout=10) as response:
            page = extract_posts(Selector(text=response.read().decode()), url)
        assert page is not None, url
        pages.append(page)
        url = page.older_page
    return pages, len(pages)


def test_demo_channels_and_page_give_back_every_post(sites: DemoSites) -> None:
    read_back = {}
    for start in sites.channel_urls() + sites.social_urls()[:1]:
        pages, count = walk(start)
        assert count in (3, 4)
        for page in pages:
            read_back.update({post.url: post.fields for post in page.posts})
    assert len(read_back) == len(sites.posts) == 120
    for post in sites.posts:
        fields = read_back[sites.url(post)]
        assert fields.title == first_line(clean_text(post.title))
        assert flat(fields.text) == flat(clean_text(f"{post.title}\n{post.text}"))
        assert fields.date_posted == post.posted
        if post.hostile:
            assert HOSTILE_PAYLOAD in fields.text


def test_demo_login_walled_group_yields_nothing(sites: DemoSites) -> None:
    pages, count = walk(sites.social_urls()[1])
    assert count == 1 and pages[0].login_wall and pages[0].posts == []


def test_demo_permalinks_serve_the_post_they_name(sites: DemoSites) -> None:
    for post in (sites.posts[0], sites.posts[-1]):
        url = sites.url(post)
        with urllib.request.urlopen(url, timeout=10) as response:
            page = extract_posts(Selector(text=response.read().decode()), url)
        assert page is not None
        assert [p.url for p in page.posts] == [url]
