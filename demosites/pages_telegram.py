"""Public Telegram channel previews in the ``t.me/s/<channel>`` page format, served under
``/telegram/s/<channel>``, with ``?before=N`` pages of older messages and one page per message
at ``/<channel>/<number>``. Besides the posts: a "channel created" service message and
photos without a caption, which carry no text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from demosites.metadata import stable_int
from demosites.pages_layout import document, esc
from demosites.posts import Channel, DemoPost

ROOT = "/telegram/s/"
PAGE_SIZE = 20


@dataclass(frozen=True)
class Message:
    number: int
    kind: str  # text | photo | service
    posted: str  # ISO 8601
    post: DemoPost | None = None  # the post, for text messages
    photo: bool = False  # a text message with a picture above its caption


def channel_path(channel: Channel, before: int | None = None) -> str:
    return f"{ROOT}{channel.slug}" + (f"?before={before}" if before is not None else "")


def timeline(channel: Channel, posts: Sequence[DemoPost]) -> list[Message]:
    """Every message of the channel, oldest first. Numbers the posts skip become photos
    without a caption or stay gaps (deleted messages)."""
    ordered = sorted(posts, key=lambda p: p.number)
    first_time = ordered[0].posted if ordered else "2026-01-05T08:00:00+00:00"
    messages = [Message(channel.first_number, "service", first_time)]
    previous = channel.first_number
    for index, post in enumerate(ordered):
        if post.number - previous > 1 and index % 2:
            messages.append(Message(previous + 1, "photo", post.posted))
        photo = stable_int("photo", post.id, channel.slug) % 7 == 0
        messages.append(Message(post.number, "text", post.posted, post, photo))
        previous = post.number
    return messages


def _text_html(post: DemoPost) -> str:
    blocks = [b.strip() for b in post.text.replace("\r\n", "\n").split("\n\n") if b.strip()]
    body = "<br/><br/>".join("<br/>".join(esc(line) for line in b.split("\n")) for b in blocks)
    return f"<b>{esc(post.title)}</b><br/><br/>{body}"


def _message(channel: Channel, message: Message) -> str:
    slug = esc(channel.slug)
    views = 120 + stable_int("views", channel.slug, str(message.number)) % 4000
    time = message.posted[11:16]
    footer = (
        '<div class="tgme_widget_message_footer compact js-message_footer">'
        '<div class="tgme_widget_message_info short js-message_info">'
        f'<span class="tgme_widget_message_views">{views}</span><span class="copyonly"> views'
        '</span><span class="tgme_widget_message_meta"><a class="tgme_widget_message_date" '
        f'href="/{slug}/{message.number}"><time datetime="{esc(message.posted)}" class="time">'
        f"{esc(time)}</time></a></span></div></div>"
    )
    if message.kind == "service":
        return (
            '<div class="tgme_widget_message_wrap js-widget_message_wrap">'
            '<div class="tgme_widget_message service_message js-widget_message" '
            f'data-post="{slug}/{message.number}"><div class="tgme_widget_message_bubble">'
            '<div class="tgme_widget_message_service_text">Channel created</div>'
            "</div></div></div>"
        )
    photo = (
        f'<a class="tgme_widget_message_photo_wrap" href="/{slug}/{message.number}">'
        '<div class="tgme_widget_message_photo"></div></a>'
        if message.kind == "photo" or message.photo
        else ""
    )
    text = ""
    if message.post is not None:
        text = (
            '<div class="tgme_widget_message_text js-message_text" dir="auto" '
            f'lang="{esc(message.post.lang)}">{_text_html(message.post)}</div>'
        )
    return f"""<div class="tgme_widget_message_wrap js-widget_message_wrap">
<div class="tgme_widget_message text_not_supported_wrap js-widget_message" data-post="{slug}/{message.number}">
<div class="tgme_widget_message_user"><a href="{channel_path(channel)}"><i class="tgme_widget_message_user_photo" data-content="{esc(channel.title[:1])}"></i></a></div>
<div class="tgme_widget_message_bubble">
<div class="tgme_widget_message_author accent_color"><a class="tgme_widget_message_owner_name" href="{channel_path(channel)}"><span dir="auto">{esc(channel.title)}</span></a></div>
{photo}{text}
{footer}
</div></div></div>"""  # noqa: E501


def _info(channel: Channel, count: int) -> str:
    return f"""<section class="tgme_right_column"><div class="tgme_channel_info">
<div class="tgme_channel_info_header">
<div class="tgme_channel_info_header_title"><span dir="auto">{esc(channel.title)}</span></div>
<div class="tgme_channel_info_header_username"><a href="{channel_path(channel)}">@{esc(channel.slug)}</a></div>
</div>
<div class="tgme_channel_info_description">{esc(channel.description)}</div>
<div class="tgme_channel_info_counters"><div class="tgme_channel_info_counter"><span class="counter_value">{count}</span> <span class="counter_type">messages</span></div></div>
</div></section>"""  # noqa: E501


def _frame(channel: Channel, count: int, history: str, head: str) -> str:
    og = (
        f'<meta property="og:title" content="{esc(channel.title)}">\n'
        '<meta property="og:site_name" content="Telegram">\n'
        f'<meta property="og:description" content="{esc(channel.description)}">\n'
    )
    body = f"""<header class="tgme_header"><div class="tgme_header_info">
<a class="tgme_header_link" href="{channel_path(channel)}"><div class="tgme_header_title"><span dir="auto">{esc(channel.title)}</span></div></a>
</div></header>
<main class="tgme_main" data-url="/s/{esc(channel.slug)}"><div class="tgme_container">
{_info(channel, count)}
<section class="tgme_channel_history js-message_history">
{history}
</section>
</div></main>"""  # noqa: E501
    return document(f"{channel.title} – Telegram", body, og + head)


def channel_page(channel: Channel, messages: Sequence[Message], before: int | None) -> str:
    """The page a reader sees at ``/telegram/s/<channel>?before=N``: the PAGE_SIZE newest
    messages below ``before`` (all when None), oldest at the top, a link to older ones."""
    older = [m for m in messages if before is None or m.number < before]
    shown = older[-PAGE_SIZE:]
    head = ""
    more = ""
    if shown and len(older) > len(shown):
        target = channel_path(channel, shown[0].number)
        head = f'<link rel="prev" href="{esc(target)}">\n'
        more = (
            '<div class="tgme_widget_message_centered js-messages_more_wrap">'
            f'<a href="{esc(target)}" class="tme_messages_more js-messages_more" '
            f'data-before="{shown[0].number}">Load older messages</a></div>\n'
        )
    history = more + "\n".join(_message(channel, m) for m in shown)
    return _frame(channel, len(messages), history, head)


def message_page(channel: Channel, messages: Sequence[Message], message: Message) -> str:
    """The page of one message, as its permalink shows it."""
    return _frame(channel, len(messages), _message(channel, message), "")
