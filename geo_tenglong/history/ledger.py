"""The 整治台账: the campaign's lists kept as tasks in the history store, closed by the data.

天台 三(一)1 / 德清 三(一)1 ask for a 高耗低效整治企业清单 managed 闭环 — 一企一方案, 达标销号 — and
天台 三(五)16 and 三(六)17 keep the 零增地技改项目清单 and the 留驻优质企业项目清单 the same way. Each
list entry is a task (``ledger_tasks``) with its 整治方式, responsible township, 完成时限 and status;
every change is an event (``ledger_events``).

After each run, :func:`update_ledger` (called by :func:`geo_tenglong.history.store.record_run` in
its transaction, registered in ``store.UPDATERS``) reads the run's ``ledger_lists`` table (the
ledger_lists stage: who is listed now, who now meets the rule, and why) and

- opens a task (status 未开始) for every listed entry without one;
- closes an open task whose enterprise or plan now meets the rule (已销号, with the run id and the
  row's reason: 达标销号:…, 销号:已验收, 移出清单:…) — an entry the run could not judge (no data)
  keeps its status;
- reopens a closed task whose entry is listed again (重新打开).

Townships fill in 整治方式, 完成时限, 状态 and 进展说明 in the exported file
(:mod:`geo_tenglong.history.ledger_xlsx`); only the data closes or reopens a task.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pandas as pd

from . import store

NOT_STARTED = "未开始"
IN_PROGRESS = "整改中"
DONE_PENDING = "已完成待复核"
CLOSED = "已销号"
REOPENED = "重新打开"
#: Every status, in the order the ledger file lists them.
STATUSES: tuple[str, ...] = (NOT_STARTED, IN_PROGRESS, DONE_PENDING, CLOSED, REOPENED)
#: Statuses a township may set by hand (closing and reopening belong to the data).
TOWNSHIP_STATUSES: tuple[str, ...] = (NOT_STARTED, IN_PROGRESS, DONE_PENDING)
#: Run id of events written by ``ledger import``.
IMPORT_RUN = "import"

TASK_COLUMNS = ["task_id", "list", "uscc", "parcel_id", "name", "township", "treatment", "deadline", "status",
                "note", "opened_run", "closed_run", "updated"]
EVENT_COLUMNS = ["task_id", "run_id", "time", "from_status", "to_status", "reason"]
_TABLES = {
    "ledger_tasks": ("task_id TEXT PRIMARY KEY, list TEXT NOT NULL, uscc TEXT, parcel_id TEXT, name TEXT, township TEXT, "
                     "treatment TEXT, deadline TEXT, status TEXT NOT NULL, note TEXT, opened_run TEXT, closed_run TEXT, "
                     "updated TEXT"),
    "ledger_events": "task_id TEXT NOT NULL, run_id TEXT NOT NULL, time TEXT, from_status TEXT, to_status TEXT, reason TEXT",
}


def ensure_tables(conn: sqlite3.Connection) -> None:
    """Create ``ledger_tasks`` and ``ledger_events`` in an open store when missing."""
    for name, cols in _TABLES.items():
        conn.execute(f"CREATE TABLE IF NOT EXISTS {name} ({cols})")
        store.register_attributes_table(conn, name)


def tasks_of(conn: sqlite3.Connection) -> pd.DataFrame:
    """The ``ledger_tasks`` table (columns :data:`TASK_COLUMNS`; empty when the store has none)."""
    if not store.has_table(conn, "ledger_tasks"):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in TASK_COLUMNS})
    return pd.read_sql_query(f"SELECT {', '.join(TASK_COLUMNS)} FROM ledger_tasks ORDER BY list, township, task_id",
                             conn)


def events_of(conn: sqlite3.Connection) -> pd.DataFrame:
    """The ``ledger_events`` table, oldest first (columns :data:`EVENT_COLUMNS`)."""
    if not store.has_table(conn, "ledger_events"):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in EVENT_COLUMNS})
    return pd.read_sql_query(f"SELECT {', '.join(EVENT_COLUMNS)} FROM ledger_events ORDER BY rowid", conn)


def read_tasks(path: str | Path) -> pd.DataFrame:
    """The 整治台账 tasks of the store at ``path`` (see :func:`tasks_of`).

    Raises
    ------
    InputError
        When the store is missing or not a history store.
    """
    with store.connect(path) as conn:
        return tasks_of(conn)


def read_events(path: str | Path) -> pd.DataFrame:
    """The 整治台账 events of the store at ``path`` (see :func:`events_of`)."""
    with store.connect(path) as conn:
        return events_of(conn)


def add_event(conn: sqlite3.Connection, task_id: str, run_id: str, time: str, from_status: str | None,
              to_status: str, reason: str) -> None:
    """Append one event to ``ledger_events``."""
    conn.execute("INSERT INTO ledger_events VALUES (?, ?, ?, ?, ?, ?)",
                 (task_id, run_id, time, from_status, to_status, reason))


def _text(v) -> str | None:
    return None if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)


def _date(v) -> str | None:
    return None if v is None or pd.isna(v) else pd.Timestamp(v).date().isoformat()


def _undo_replaced_runs(conn: sqlite3.Connection) -> None:
    """Undo what a replaced run (the same as-of date recorded again) did to the tasks.

    :func:`geo_tenglong.history.store.record_run` has deleted the replaced run and its events; a
    task it opened goes (this run opens it again if still listed), a task it closed or reopened
    takes the status of its last remaining event, as if the replaced run had never been recorded.
    """
    orphans = [r[0] for r in conn.execute(
        "SELECT task_id FROM ledger_tasks WHERE opened_run NOT IN (SELECT run_id FROM runs) "
        "OR (closed_run IS NOT NULL AND closed_run NOT IN (SELECT run_id FROM runs))")]
    for task_id in orphans:
        events = conn.execute("SELECT run_id, to_status FROM ledger_events WHERE task_id = ? ORDER BY rowid",
                              (task_id,)).fetchall()
        if not events:
            conn.execute("DELETE FROM ledger_tasks WHERE task_id = ?", (task_id,))
            continue
        status = events[-1][1]
        closed = next((run for run, to in reversed(events) if to == CLOSED), None) if status == CLOSED else None
        conn.execute("UPDATE ledger_tasks SET status = ?, opened_run = ?, closed_run = ? WHERE task_id = ?",
                     (status, events[0][0], closed, task_id))


def update_ledger(conn: sqlite3.Connection, results, run_id: str) -> dict[str, int]:
    """Open, close (达标销号) and reopen 整治台账 tasks from a run's ``ledger_lists`` table.

    Called inside :func:`geo_tenglong.history.store.record_run`'s transaction, after the run's own
    rows are written; it does not commit.

    Parameters
    ----------
    conn : sqlite3.Connection
        The open history store.
    results : Results
        The run; its ``layers["ledger_lists"]`` (columns
        :data:`geo_tenglong.analysis.ledger_lists.COLUMNS`). A run without it changes nothing.
    run_id : str

    Returns
    -------
    dict
        Counts of tasks ``opened``, ``closed``, ``reopened``.
    """
    counts = {"opened": 0, "closed": 0, "reopened": 0}
    lists = results.layers.get("ledger_lists")
    if lists is None:
        return counts
    ensure_tables(conn)
    _undo_replaced_runs(conn)
    now = dt.datetime.now().isoformat(timespec="seconds")
    current = tasks_of(conn).set_index("task_id")
    for row in lists.itertuples(index=False):
        task_id, reason = str(row.task_id), _text(row.reason) or ""
        task = current.loc[task_id] if task_id in current.index else None
        if bool(row.listed):
            if task is None:
                conn.execute(f"INSERT INTO ledger_tasks ({', '.join(TASK_COLUMNS)}) VALUES ({', '.join('?' * 13)})",
                             (task_id, row.list, _text(row.uscc), _text(row.parcel_id), _text(row.name),
                              _text(row.township), _text(row.treatment), _date(row.deadline), NOT_STARTED, None,
                              run_id, None, now))
                add_event(conn, task_id, run_id, now, None, NOT_STARTED, f"列入清单:{reason}")
                counts["opened"] += 1
                continue
            if task["status"] == CLOSED:
                conn.execute("UPDATE ledger_tasks SET status = ?, closed_run = NULL, deadline = ?, updated = ? "
                             "WHERE task_id = ?", (REOPENED, _date(row.deadline), now, task_id))
                add_event(conn, task_id, run_id, now, CLOSED, REOPENED, f"重新列入:{reason}")
                counts["reopened"] += 1
            conn.execute("UPDATE ledger_tasks SET name = ?, parcel_id = ?, township = coalesce(?, township) "
                         "WHERE task_id = ?", (_text(row.name), _text(row.parcel_id), _text(row.township), task_id))
        elif task is not None and task["status"] != CLOSED:
            conn.execute("UPDATE ledger_tasks SET status = ?, closed_run = ?, updated = ? WHERE task_id = ?",
                         (CLOSED, run_id, now, task_id))
            add_event(conn, task_id, run_id, now, task["status"], CLOSED, reason)
            counts["closed"] += 1
    return counts
