"""The web app: search and read collected ads, behind a login."""

from web.app import create_app
from web.users import (
    ROLES,
    User,
    UserError,
    UserStore,
    add_user,
    authenticate,
    list_users,
    set_active,
    set_password,
)

__all__ = [
    "ROLES",
    "User",
    "UserError",
    "UserStore",
    "add_user",
    "authenticate",
    "create_app",
    "list_users",
    "set_active",
    "set_password",
]
