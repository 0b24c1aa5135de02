"""Who is logged in: the signed session cookie names a user, checked against the users table
on every request so a disabled account or a changed password ends its sessions."""

from __future__ import annotations

from fastapi import Request

from web.security import csrf_token
from web.state import get_state
from web.users import User


class LoginRequired(Exception):
    """A page was asked for without a session: answered with a redirect to the login form."""


class ApiLoginRequired(Exception):
    """An API call without a session: answered with 401 JSON."""


_USER_KEY = "user"
_TAG_KEY = "tag"


def session_user(request: Request) -> User | None:
    if hasattr(request.state, "user"):
        cached: User | None = request.state.user
        return cached
    user = None
    name = request.session.get(_USER_KEY)
    if isinstance(name, str):
        found = get_state(request).users.get(name)
        if found and found.active and request.session.get(_TAG_KEY) == found.session_tag:
            user = found
        else:
            request.session.clear()
    request.state.user = user
    return user


def require_page_user(request: Request) -> User:
    user = session_user(request)
    if user is None:
        raise LoginRequired()
    return user


def require_api_user(request: Request) -> User:
    user = session_user(request)
    if user is None:
        raise ApiLoginRequired()
    return user


def log_in(request: Request, user: User) -> None:
    # A fresh session (and CSRF token) at login: whatever a visitor had before is dropped.
    request.session.clear()
    request.session[_USER_KEY] = user.name
    request.session[_TAG_KEY] = user.session_tag
    csrf_token(request.session)
    request.state.user = user


def log_out(request: Request) -> None:
    request.session.clear()
    request.state.user = None
