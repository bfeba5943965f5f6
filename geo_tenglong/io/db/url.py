"""PostgreSQL connection URLs: parse one, refuse a password in it, mask it for messages, connect.

A workspace or the command line names a database as ``postgresql://user@host:port/dbname``
(``?schema=name`` for a results target). The password never travels in the URL, where it would
sit in workspace.toml, shell history and process lists: libpq takes it from ``PGPASSWORD`` or
``~/.pgpass`` (``PGPASSFILE``) when it connects. Connections go through SQLAlchemy with the
psycopg2 driver (libpq), so every libpq setting (``PGSSLMODE``, ``PGCONNECT_TIMEOUT`` …) applies.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from ...errors import InputError

__all__ = ["DbUrl", "SCHEMES", "connect", "db_error", "is_db_url", "mask_url", "parse_db_url"]

#: URL schemes taken for a PostgreSQL database.
SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg2://")
#: A schema name the tool writes into: unquoted PostgreSQL identifier, lower case.
_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]{0,40}$")
#: Seconds libpq waits for a server before giving up (unless PGCONNECT_TIMEOUT says otherwise).
CONNECT_TIMEOUT = 10


def is_db_url(text: Any) -> bool:
    """Whether ``text`` names a PostgreSQL database (``postgresql://…``)."""
    return isinstance(text, str) and text.strip().lower().startswith(SCHEMES)


def mask_url(text: str) -> str:
    """``text`` with any password replaced by ``***``, for messages.

    Examples
    --------
    >>> mask_url("postgresql://gis:secret@db.local:5432/cadastre")
    'postgresql://gis:***@db.local:5432/cadastre'
    >>> mask_url("postgresql://gis@db.local/cadastre?schema=tenglong")
    'postgresql://gis@db.local/cadastre?schema=tenglong'
    """
    return re.sub(r"^([a-z0-9+]+://[^:/@?#]*):[^@/?#]*@", r"\1:***@", text.strip(), flags=re.IGNORECASE)


@dataclasses.dataclass(frozen=True)
class DbUrl:
    """A parsed database URL.

    Attributes
    ----------
    text : str
        The URL as given, without ``?schema=`` (it has no password: :func:`parse_db_url` refuses one).
    schema : str or None
        ``?schema=`` (the results target's schema).
    params : dict
        Other query parameters, handed to libpq (``sslmode``, ``application_name`` …).
    """

    text: str
    schema: str | None = None
    params: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def label(self) -> str:
        """The URL for messages (with the schema when one was given)."""
        return self.text + (f"?schema={self.schema}" if self.schema else "")


def parse_db_url(text: str, where: str | None = None) -> DbUrl:
    """Parse ``postgresql://user@host:port/dbname[?schema=name&sslmode=…]``.

    Parameters
    ----------
    text : str
    where : str, optional
        Where the URL came from, for messages (``"layers.parcels"``, ``"--out"``).

    Returns
    -------
    DbUrl

    Raises
    ------
    InputError
        For a URL holding a password (masked in the message), without a database name, or with a
        schema that is not a plain lower-case identifier.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    masked = mask_url(text)
    try:
        url = make_url(text.strip())
    except (ArgumentError, ValueError) as exc:
        raise InputError(f"不是有效的数据库地址 (not a postgresql:// URL: {exc})", masked, where) from None
    if url.password is not None:
        raise InputError("数据库地址中不能写密码 (a password in the URL is refused: set PGPASSWORD or put it "
                         "in ~/.pgpass)", masked, where)
    if not url.database:
        raise InputError("数据库地址缺少数据库名 (expected postgresql://user@host:port/dbname)", masked, where)
    query = {k: (v[-1] if isinstance(v, tuple) else v) for k, v in url.query.items()}
    schema = query.pop("schema", None)
    if schema is not None and not _SCHEMA.match(schema):
        raise InputError(f"schema {schema!r}: expected a lower-case name of letters, digits and _ "
                         "(e.g. ?schema=tenglong)", masked, where)
    base = text.strip().split("?", 1)[0]
    return DbUrl(text=base, schema=schema, params=query)


def connect(db: DbUrl):
    """A SQLAlchemy engine for ``db`` (psycopg2; no pooling: one run, a few connections).

    The password, if the server asks for one, comes from ``PGPASSWORD`` or ``~/.pgpass`` (libpq).
    Connecting happens on first use; wrap that in :func:`db_error`.
    """
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    url = make_url(db.text).set(drivername="postgresql+psycopg2")
    args: dict[str, Any] = {"connect_timeout": CONNECT_TIMEOUT, "application_name": "geo-tenglong", **db.params}
    return create_engine(url, poolclass=NullPool, connect_args=args)


def db_error(exc: BaseException, db: DbUrl, where: str | None = None, doing: str = "") -> InputError:
    """One :class:`InputError` line for a database failure: the connection (no password), the table, why.

    Parameters
    ----------
    exc : Exception
        A SQLAlchemy / psycopg2 error.
    db : DbUrl
    where : str, optional
        The table or query concerned (``"table gis.parcels"``).
    doing : str
        What was attempted, Chinese (``"读取"``, ``"写入结果"``).
    """
    orig = getattr(exc, "orig", None) or exc
    detail = " ".join(str(orig).split()) or type(orig).__name__
    detail = mask_url(detail)
    lowered = detail.lower()
    if "password authentication failed" in lowered or "no password supplied" in lowered:
        what = "数据库认证失败, 请检查 PGPASSWORD 或 ~/.pgpass"
    elif "could not connect" in lowered or "connection refused" in lowered or "timeout expired" in lowered \
            or "could not translate host name" in lowered or "connection to server" in lowered:
        what = "无法连接数据库服务器"
    elif "does not exist" in lowered:
        what = "数据库对象不存在"
    else:
        what = f"数据库{doing or '操作'}失败"
    return InputError(f"{what} ({detail})", db.text, where)
