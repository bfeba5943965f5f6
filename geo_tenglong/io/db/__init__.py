"""PostgreSQL/PostGIS as a workspace source and a results target.

- :mod:`.url`: ``postgresql://user@host:port/dbname`` URLs (no password in them: libpq reads
  ``PGPASSWORD`` or ``~/.pgpass``), masking, connecting, one-line errors.
- :mod:`.read`: a layer or table of workspace.toml from ``{ db = …, table = … }`` or ``{ db = …, sql = … }``.
- :mod:`.write`: a run's results into a schema in one transaction, with the ``runs`` table.
- :mod:`.results`: those results read back for ``map`` and ``report``.
- :mod:`.fingerprint`: the SHA-256 of a run's inputs (files' bytes, database tables' rows).

Everything goes through SQLAlchemy with GeoAlchemy2 and psycopg2 (libpq); see :mod:`.url`.
"""
