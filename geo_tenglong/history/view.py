"""The history as an input of a run: earlier runs of the county, read-only.

:func:`load_history` reads what the analysis needs before it starts (data flows io → analysis): the
runs recorded before the as-of date, and on demand a run's parcel and enterprise states and the
整治台账 tasks closed since a run. The pipeline hands it to the stages as ``ws.history``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pandas as pd

from . import store

#: 整治台账 status of a task closed by the data (达标销号).
CLOSED_STATUS = "已销号"
#: 整治方式 of a task whose closing counts as 淘汰落后产能 (TT-T7, DQ-T2); every other closed task is 整治提升.
ELIMINATED_TREATMENT = "关停退出"


@dataclasses.dataclass(frozen=True)
class History:
    """Earlier runs of one county in a history store.

    Attributes
    ----------
    path : Path
        The store.
    runs : DataFrame
        The runs recorded for the county with an as-of date before the run's, oldest first.
    """

    path: Path
    runs: pd.DataFrame

    def baseline(self) -> pd.Series | None:
        """The earliest run recorded (the campaign's start state as far as the store knows), or None."""
        return self.runs.iloc[0] if len(self.runs) else None

    def previous(self) -> pd.Series | None:
        """The latest run before this one, or None."""
        return self.runs.iloc[-1] if len(self.runs) else None

    def parcel_states(self, run_id: str) -> pd.DataFrame:
        """Parcel states of a recorded run (:func:`geo_tenglong.history.store.parcel_states`)."""
        return store.parcel_states(self.path, run_id)

    def enterprise_states(self, run_id: str) -> pd.DataFrame:
        """Enterprise states of a recorded run."""
        return store.enterprise_states(self.path, run_id)

    def closed_tasks(self, since: str) -> pd.DataFrame | None:
        """整治台账 tasks closed (已销号) by a run after the run ``since`` and before this one.

        Parameters
        ----------
        since : str
            A run id; tasks closed by that run or earlier are left out.

        Returns
        -------
        DataFrame or None
            The ``ledger_tasks`` rows with ``closed_as_of``; ``None`` when the store has no 整治台账.
        """
        with store.connect(self.path) as conn:
            if not store.has_table(conn, "ledger_tasks"):
                return None
            closed = pd.read_sql_query(
                "SELECT t.*, r.as_of AS closed_as_of FROM ledger_tasks t JOIN runs r ON r.run_id = t.closed_run "
                "WHERE t.status = ? AND r.as_of > (SELECT as_of FROM runs WHERE run_id = ?) ORDER BY r.as_of",
                conn, params=(CLOSED_STATUS, since))
        # only closings by the runs before this one (re-running an old quarter ignores later ones)
        return closed[closed["closed_run"].isin(self.runs["run_id"])].reset_index(drop=True)


    def tasks(self) -> pd.DataFrame | None:
        """Every 整治台账 task as recorded (``ledger_tasks``), or ``None`` when the store has no 整治台账."""
        with store.connect(self.path) as conn:
            if not store.has_table(conn, "ledger_tasks"):
                return None
            return pd.read_sql_query("SELECT * FROM ledger_tasks ORDER BY task_id", conn)


def load_history(path: str | Path | None, as_of: dt.date, admin_code: str) -> History | None:
    """The county's runs before ``as_of`` in the store at ``path``.

    Parameters
    ----------
    path : str or Path or None
    as_of : date
        The run's as-of date; a run already recorded for it (being re-run) is not history.
    admin_code : str

    Returns
    -------
    History or None
        ``None`` when there is no store or it holds no earlier run of the county.
    """
    if path is None or not Path(path).is_file() or Path(path).stat().st_size == 0:
        return None
    recorded = store.runs(path)
    earlier = recorded[(recorded["as_of"] < as_of.isoformat()) & (recorded["admin_code"].fillna("") == admin_code)]
    if not len(earlier):
        return None
    return History(path=Path(path), runs=earlier.reset_index(drop=True))
