"""JSON serializer of requests in the shared queue (scrapy-redis ``SCHEDULER_SERIALIZER``).

Never pickle: a queue entry carries URLs and text from scraped pages, and unpickling runs code.
This module writes plain JSON; values JSON has no type for are tagged objects
(``{"$t": tag, "v": value}``): bytes, tuples, non-finite floats, dicts whose keys are not all
strings, scrapy-playwright ``PageMethod`` objects, and functions. A function is written as its
import path and read back only when it is a module-level function of the ``crawlers`` package:
anything else in a payload is refused, whoever wrote it.

Request meta also holds the runtime state of a download (a Playwright page or browser context a
retried request still carries): a meta value of a type this module does not write is left out,
with one log line per key. Anything else that cannot be written (a bad value inside a list,
dict or PageMethod, or outside meta) is an error naming the field.
"""

from __future__ import annotations

import base64
import importlib
import inspect
import json
import logging
import math
import re
from collections.abc import Callable
from typing import Any

from scrapy import Request
from scrapy_playwright.page import PageMethod

logger = logging.getLogger(__name__)

VERSION = 1
MAX_PAYLOAD = 8 * 1024 * 1024
TAG = "$t"
ALLOWED_PACKAGE = "crawlers."
# Meta keys scrapy-playwright reads as import paths ("pkg.module.function") and then calls.
_IMPORT_PATH_META = ("playwright_page_init_callback",)
# Download state that is rebuilt for every attempt: left out without a word.
_RUNTIME_META = frozenset({"playwright_page", "_lurewatch_browser_context"})
_WRITABLE = (type(None), bool, int, float, str, bytes, list, tuple, dict, PageMethod)
# A method or function name; never a dunder (``__init__``, ``__class__``...).
_IDENTIFIER = re.compile(r"_?[A-Za-z][A-Za-z0-9_]*\Z")
_warned: set[str] = set()


class SerializerError(ValueError):
    pass


# -- writing -----------------------------------------------------------------------------------


def dumps(request: dict[str, Any]) -> bytes:
    """``request`` is ``Request.to_dict()``; the result is UTF-8 JSON."""
    out: dict[str, Any] = {}
    for name, value in request.items():
        if name == "meta":
            out[name] = _encode_meta(value, request.get("url"))
        else:
            out[name] = _encode(value, name)
    text = json.dumps({"v": VERSION, "request": out}, allow_nan=False, separators=(",", ":"))
    return text.encode()


def _encode_meta(meta: dict[str, Any], url: Any) -> dict[str, Any]:
    if any(not isinstance(key, str) for key in meta):
        raise SerializerError(f"meta keys must be strings in a request to {url}")
    encoded: dict[str, Any] = {}
    for key, value in meta.items():
        if key in _RUNTIME_META:
            continue
        if not isinstance(value, _WRITABLE) and not inspect.isfunction(value):
            # An object some component keeps on the request while it is downloaded.
            if key not in _warned:
                _warned.add(key)
                logger.warning(
                    "meta[%r] is a %s: left out of the shared request queue (not JSON)",
                    key,
                    type(value).__qualname__,
                )
            continue
        encoded[key] = _encode(value, f"meta[{key!r}]")
    return encoded


def _encode(value: Any, where: str) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {TAG: "float", "v": repr(value)}
    if isinstance(value, bytes):
        return {TAG: "bytes", "v": base64.b64encode(value).decode()}
    if isinstance(value, list):
        return [_encode(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, tuple):
        return {TAG: "tuple", "v": [_encode(item, f"{where}[{i}]") for i, item in enumerate(value)]}
    if isinstance(value, dict):
        if all(isinstance(key, str) for key in value) and TAG not in value:
            return {key: _encode(item, f"{where}[{key!r}]") for key, item in value.items()}
        return {
            TAG: "dict",
            "v": [[_encode(k, where), _encode(v, f"{where}[{k!r}]")] for k, v in value.items()],
        }
    if isinstance(value, PageMethod):
        # Its ``result`` is output of an earlier attempt, not part of the request.
        return {
            TAG: "page_method",
            "method": _encode(value.method, f"{where}.method"),
            "args": [_encode(arg, f"{where}.args") for arg in value.args],
            "kwargs": {k: _encode(v, f"{where}.kwargs[{k!r}]") for k, v in value.kwargs.items()},
        }
    if inspect.isfunction(value):
        return {TAG: "function", "v": _function_path(value, where)}
    raise SerializerError(
        f"{where} is a {type(value).__qualname__}: only JSON values, bytes, tuples, PageMethods"
        " and functions of the crawlers package go through the shared queue"
    )


def _function_path(function: Callable[..., Any], where: str) -> str:
    path = f"{function.__module__}.{function.__qualname__}"
    if not path.startswith(ALLOWED_PACKAGE) or "." in function.__qualname__:
        raise SerializerError(
            f"{where} is the function {path}: only module-level functions of the crawlers"
            " package go through the shared queue"
        )
    return path


# -- reading -----------------------------------------------------------------------------------


def loads(data: bytes | str) -> dict[str, Any]:
    """The ``Request.to_dict()`` that ``dumps`` wrote; SerializerError for anything else."""
    if len(data) > MAX_PAYLOAD:
        raise SerializerError(f"request payload of {len(data)} bytes is over {MAX_PAYLOAD}")
    try:
        document = json.loads(data)
    except ValueError as exc:
        raise SerializerError(f"request payload is not JSON: {exc}") from exc
    if not isinstance(document, dict) or document.get("v") != VERSION:
        raise SerializerError("request payload is not a LureWatch request (version 1)")
    encoded = document.get("request")
    if not isinstance(encoded, dict) or not isinstance(encoded.get("url"), str):
        raise SerializerError("request payload has no request URL")
    request = {name: _decode(value) for name, value in encoded.items()}
    _check_request(request)
    return request


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(item) for item in value]
    if not isinstance(value, dict):
        return value
    tag = value.get(TAG)
    if tag is None:
        return {key: _decode(item) for key, item in value.items()}
    if tag == "bytes":
        return base64.b64decode(_str(value, "v"), validate=True)
    if tag == "float":
        return float(_str(value, "v"))
    if tag == "tuple":
        return tuple(_decode(item) for item in _list(value, "v"))
    if tag == "dict":
        try:
            return {_decode(k): _decode(v) for k, v in (_pair(item) for item in _list(value, "v"))}
        except TypeError as exc:  # an unhashable key
            raise SerializerError(f"malformed dict in request payload: {exc}") from exc
    if tag == "function":
        return resolve_function(_str(value, "v"))
    if tag == "page_method":
        method = _decode(value.get("method"))
        if not isinstance(method, str) and not inspect.isfunction(method):
            raise SerializerError("a PageMethod needs a method name or a function")
        kwargs = _decode(value.get("kwargs", {}))
        if not isinstance(kwargs, dict):
            raise SerializerError("PageMethod kwargs must be an object")
        return PageMethod(method, *_decode(_list(value, "args")), **kwargs)
    raise SerializerError(f"unknown tag {tag!r} in request payload")


def resolve_function(path: str) -> Callable[..., Any]:
    """The module-level function of the crawlers package at ``path``, or SerializerError."""
    module_name, _, name = path.rpartition(".")
    if not path.startswith(ALLOWED_PACKAGE) or not _IDENTIFIER.match(name):
        raise SerializerError(
            f"refusing function {path!r} from the shared queue: only module-level functions of"
            " the crawlers package are allowed"
        )
    try:
        function = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError) as exc:
        raise SerializerError(f"no function {path!r}: {exc}") from exc
    if not inspect.isfunction(function) or function.__module__ != module_name:
        raise SerializerError(f"refusing {path!r}: not a function defined in {module_name}")
    return function


def _check_request(request: dict[str, Any]) -> None:
    for name in ("callback", "errback"):
        method = request.get(name)
        if method is not None and not (isinstance(method, str) and _IDENTIFIER.match(method)):
            raise SerializerError(f"refusing {name} {method!r}: not a spider method name")
    cls = request.get("_class")
    if cls is not None:
        _check_request_class(cls)
    meta = request.get("meta")
    if meta is not None and not isinstance(meta, dict):
        raise SerializerError("request meta must be an object")
    for key in _IMPORT_PATH_META:
        path = (meta or {}).get(key)
        if isinstance(path, str):
            resolve_function(path)


def _check_request_class(path: Any) -> None:
    if not isinstance(path, str) or not path.startswith(("scrapy.http.", ALLOWED_PACKAGE)):
        raise SerializerError(f"refusing request class {path!r}")
    module_name, _, name = path.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError) as exc:
        raise SerializerError(f"no request class {path!r}: {exc}") from exc
    if not (inspect.isclass(cls) and issubclass(cls, Request)):
        raise SerializerError(f"refusing {path!r}: not a Request class")


def _str(value: dict[str, Any], key: str) -> str:
    item = value.get(key)
    if not isinstance(item, str):
        raise SerializerError(f"malformed {value.get(TAG)!r} value in request payload")
    return item


def _list(value: dict[str, Any], key: str) -> list[Any]:
    item = value.get(key)
    if not isinstance(item, list):
        raise SerializerError(f"malformed {value.get(TAG)!r} value in request payload")
    return item


def _pair(item: Any) -> tuple[Any, Any]:
    if not isinstance(item, list) or len(item) != 2:
        raise SerializerError("malformed dict entry in request payload")
    return item[0], item[1]
