"""People who may log in to the web app, with scrypt-hashed passwords in the main database."""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Literal, get_args

from sqlalchemy import Boolean, Integer, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.ad import utc_now_iso
from core.db import Base, create_tables, make_engine
from core.settings import Settings

Role = Literal["reviewer", "investigator", "analyst", "admin"]
ROLES: tuple[str, ...] = get_args(Role)

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9._-]{1,31}$")
MIN_PASSWORD_CHARS = 10
# scrypt hashes the whole password: a cap keeps a hostile login form from costing much.
MAX_PASSWORD_CHARS = 1024

# scrypt cost: N=2**14, r=8 needs 16 MiB and ~50 ms per hash, the interactive-login figure
# from the scrypt paper. The parameters are stored with each hash so they can be raised later.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
_KEY_BYTES = 32
_SALT_BYTES = 16


class UserError(ValueError):
    """A user cannot be added or changed; the message says why."""


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(32), unique=True, index=True)
    role: Mapped[str] = mapped_column(String(20))
    # "scrypt$N$r$p$salt_hex$key_hex"
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[str] = mapped_column(String(40))


@dataclass(frozen=True)
class User:
    name: str
    role: str
    active: bool
    created_at: str
    # Changes whenever the password does, so sessions opened with an old password end.
    session_tag: str


def _hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else secrets.token_bytes(_SALT_BYTES)
    key = hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=_SCRYPT_N,
        r=_SCRYPT_R,
        p=_SCRYPT_P,
        dklen=_KEY_BYTES,
        maxmem=64 * 1024 * 1024,
    )
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${key.hex()}"


def _verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt_hex, key_hex = stored.split("$")
        if scheme != "scrypt":
            return False
        key = hashlib.scrypt(
            password.encode("utf-8"),
            salt=bytes.fromhex(salt_hex),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(key_hex) // 2,
            maxmem=64 * 1024 * 1024,
        )
    except ValueError:
        return False
    return hmac.compare_digest(key, bytes.fromhex(key_hex))


@functools.cache
def _dummy_hash() -> str:
    # Verified against when the name is unknown, so a wrong name costs as long as a wrong
    # password and response times do not reveal which names exist.
    return _hash_password(secrets.token_urlsafe(16))


def _session_tag(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def _to_user(row: UserRow) -> User:
    return User(
        name=row.name,
        role=row.role,
        active=row.active,
        created_at=row.created_at,
        session_tag=_session_tag(row.password_hash),
    )


def check_name(name: str) -> str:
    if not NAME_PATTERN.fullmatch(name):
        raise UserError(
            f"bad user name {name!r}: use 2-32 characters, lowercase letters, digits, '.', '_' "
            "or '-', starting with a letter"
        )
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")
    return role


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_CHARS:
        raise UserError(f"password too short: use at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise UserError(f"password too long: use at most {MAX_PASSWORD_CHARS} characters")
    return password


def generate_password() -> str:
    # 18 random bytes = 144 bits, 24 URL-safe characters: easy to paste, impossible to guess.
    return secrets.token_urlsafe(18)


class UserStore:
    """The users table. One per process is enough; it holds a connection pool."""

    def __init__(self, settings: Settings) -> None:
        self.engine = make_engine(settings.db_url)
        create_tables(self.engine, [UserRow.__table__])  # type: ignore[list-item]

    def add(self, name: str, role: str, password: str | None = None) -> str:
        check_name(name)
        check_role(role)
        password = generate_password() if password is None else check_password(password)
        row = UserRow(
            name=name,
            role=role,
            password_hash=_hash_password(password),
            active=True,
            created_at=utc_now_iso(),
        )
        try:
            with Session(self.engine) as session, session.begin():
                session.add(row)
        except IntegrityError as exc:
            raise UserError(f"a user named {name!r} already exists") from exc
        return password

    def get(self, name: str) -> User | None:
        with Session(self.engine) as session:
            row = session.scalar(select(UserRow).where(UserRow.name == name))
            return None if row is None else _to_user(row)

    def all(self) -> list[User]:
        with Session(self.engine) as session:
            return [_to_user(r) for r in session.scalars(select(UserRow).order_by(UserRow.name))]

    def authenticate(self, name: str, password: str) -> User | None:
        """The user when name and password match an active account, else None."""
        if len(password) > MAX_PASSWORD_CHARS:
            return None
        with Session(self.engine) as session:
            row = session.scalar(select(UserRow).where(UserRow.name == name))
            if row is None:
                _verify_password(password, _dummy_hash())
                return None
            if not _verify_password(password, row.password_hash) or not row.active:
                return None
            return _to_user(row)

    def set_password(self, name: str, password: str | None = None) -> str:
        password = generate_password() if password is None else check_password(password)
        self._update(name, password_hash=_hash_password(password))
        return password

    def set_role(self, name: str, role: str) -> None:
        self._update(name, role=check_role(role))

    def set_active(self, name: str, active: bool) -> None:
        self._update(name, active=active)

    def _update(self, name: str, **values: object) -> None:
        with Session(self.engine) as session, session.begin():
            row = session.scalar(select(UserRow).where(UserRow.name == name))
            if row is None:
                raise UserError(f"no user named {name!r}")
            for key, value in values.items():
                setattr(row, key, value)

    def close(self) -> None:
        self.engine.dispose()


def add_user(settings: Settings, name: str, role: str, password: str | None = None) -> str:
    """Create a user and return the password (a generated one when ``password`` is None)."""
    store = UserStore(settings)
    try:
        return store.add(name, role, password)
    finally:
        store.close()


def authenticate(settings: Settings, name: str, password: str) -> User | None:
    store = UserStore(settings)
    try:
        return store.authenticate(name, password)
    finally:
        store.close()


def list_users(settings: Settings) -> list[User]:
    store = UserStore(settings)
    try:
        return store.all()
    finally:
        store.close()


def set_password(settings: Settings, name: str, password: str | None = None) -> str:
    store = UserStore(settings)
    try:
        return store.set_password(name, password)
    finally:
        store.close()


def set_active(settings: Settings, name: str, active: bool) -> None:
    store = UserStore(settings)
    try:
        store.set_active(name, active)
    finally:
        store.close()
