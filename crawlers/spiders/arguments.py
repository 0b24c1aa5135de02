"""Spider arguments (``-a name=value``) arrive as strings: these parse them or say what is wrong."""

from __future__ import annotations

from parsel import Selector

from core.sources import Source

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class SpiderArgumentError(ValueError):
    pass


def flag(name: str, value: str | bool | None) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise SpiderArgumentError(f"-a {name}= must be 1 or 0 (true/false), got {value!r}")


def positive_int(name: str, value: str | int | None) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number < 1:
        raise SpiderArgumentError(f"-a {name}= must be a whole number of at least 1, got {value!r}")
    return number


def url_list(value: str | list[str]) -> list[str]:
    urls = value if isinstance(value, list) else value.split(",")
    urls = [u.strip() for u in urls if u.strip()]
    if not urls:
        raise SpiderArgumentError("-a urls= needs at least one URL (comma-separated)")
    for url in urls:
        if not url.startswith(("http://", "https://")):
            raise SpiderArgumentError(f"-a urls=: not an http(s) URL: {url!r}")
    return urls


def check_selectors(source: Source) -> None:
    """Fail at start rather than on the first page when a configured CSS selector is invalid."""
    if source.selectors is None:
        return
    probe = Selector(text="<html></html>")
    for field, css in source.selectors.model_dump(exclude_none=True).items():
        try:
            probe.css(css)
        except Exception as exc:  # cssselect raises several types, all of them mean "invalid"
            raise SpiderArgumentError(
                f"source {source.name!r}: selectors.{field} is not valid CSS ({css!r}): {exc}"
            ) from exc
