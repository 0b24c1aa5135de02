"""Users of the web app: adding, authenticating, and every way adding can be refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from core.settings import Settings
from web.users import (
    ROLES,
    UserError,
    add_user,
    authenticate,
    list_users,
    set_active,
    set_password,
)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path, secret_key="test-secret-" + "x" * 32)


def test_add_then_authenticate_with_the_given_password(settings: Settings) -> None:
    assert add_user(settings, "maria", "reviewer", "correct horse battery") == (
        "correct horse battery"
    )
    user = authenticate(settings, "maria", "correct horse battery")
    assert user is not None
    assert (user.name, user.role, user.active) == ("maria", "reviewer", True)


def test_generated_password_is_strong_and_works(settings: Settings) -> None:
    first = add_user(settings, "ana", "investigator")
    second = add_user(settings, "ben", "analyst")
    assert len(first) >= 20 and first != second
    assert authenticate(settings, "ana", first) is not None
    assert authenticate(settings, "ana", second) is None


def test_every_role_is_accepted(settings: Settings) -> None:
    for i, role in enumerate(ROLES):
        add_user(settings, f"user{i}", role, "long enough password")
    assert sorted(u.role for u in list_users(settings)) == sorted(ROLES)


def test_wrong_password_and_unknown_name_are_refused(settings: Settings) -> None:
    add_user(settings, "maria", "reviewer", "correct horse battery")
    assert authenticate(settings, "maria", "correct horse batterY") is None
    assert authenticate(settings, "maria", "") is None
    assert authenticate(settings, "nobody", "correct horse battery") is None


def test_bad_role_is_refused_naming_the_roles(settings: Settings) -> None:
    with pytest.raises(UserError, match=r"unknown role 'boss'.*reviewer, investigator"):
        add_user(settings, "maria", "boss")
    assert list_users(settings) == []


def test_duplicate_name_is_refused(settings: Settings) -> None:
    add_user(settings, "maria", "reviewer")
    with pytest.raises(UserError, match="already exists"):
        add_user(settings, "maria", "admin")
    assert [u.role for u in list_users(settings)] == ["reviewer"]


@pytest.mark.parametrize("name", ["", "x", "Maria", "1abc", "ma ria", "a/b", "é" * 3, "a" * 33])
def test_bad_names_are_refused(settings: Settings, name: str) -> None:
    with pytest.raises(UserError, match="bad user name"):
        add_user(settings, name, "reviewer")


def test_short_or_huge_passwords_are_refused(settings: Settings) -> None:
    with pytest.raises(UserError, match="too short"):
        add_user(settings, "maria", "reviewer", "short")
    with pytest.raises(UserError, match="too long"):
        add_user(settings, "maria", "reviewer", "x" * 5000)


def test_passwords_are_stored_salted_and_hashed(settings: Settings) -> None:
    add_user(settings, "ana", "reviewer", "the same password")
    add_user(settings, "ben", "reviewer", "the same password")
    db = settings.home_dir / "lurewatch.db"
    with sqlite3.connect(db) as conn:
        rows = dict(conn.execute("SELECT name, password_hash FROM users").fetchall())
    conn.close()
    assert all("the same password" not in h for h in rows.values())
    assert all(h.startswith("scrypt$") for h in rows.values())
    # Same password, different salt: different hashes.
    assert rows["ana"] != rows["ben"]


def test_set_password_replaces_the_old_one(settings: Settings) -> None:
    old = add_user(settings, "ana", "admin")
    new = set_password(settings, "ana")
    assert authenticate(settings, "ana", old) is None
    assert authenticate(settings, "ana", new) is not None
    with pytest.raises(UserError, match="no user named"):
        set_password(settings, "ghost")


def test_disabled_user_cannot_log_in(settings: Settings) -> None:
    password = add_user(settings, "ana", "reviewer")
    set_active(settings, "ana", False)
    assert authenticate(settings, "ana", password) is None
    set_active(settings, "ana", True)
    assert authenticate(settings, "ana", password) is not None
