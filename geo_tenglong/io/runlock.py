"""A lock on an output folder, so two runs never write into one folder at once.

The OS lock is :class:`filelock.FileLock` (``flock`` on POSIX) on a file *beside* the folder
(``<parent>/.<name>.lock``): the folder itself is swapped whole at the end of a run
(:mod:`geo_tenglong.io.staging`), so a lock file inside it would move with it. The kernel drops an
``flock`` when its process dies, so a lock left by a killed run is free again; a JSON sidecar
(``.<name>.lock.json``) records the holder's pid, process start time and run id, so a refused run
can name the holder, and a sidecar left by a dead process (pid gone, or reused: a different process
start time) is reported as a stale lock taken over.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from ..errors import InputError

__all__ = ["LockBusy", "lock_paths", "lock_folder_for", "check_writable", "process_start", "holder_alive", "output_lock", "output_locks"]


class LockBusy(InputError):
    """Another live run holds the lock on an output folder."""


def lock_paths(folder: str | Path) -> tuple[Path, Path]:
    """The lock file and its JSON sidecar of an output ``folder`` (both beside it)."""
    folder = Path(folder).resolve()
    return folder.parent / f".{folder.name}.lock", folder.parent / f".{folder.name}.lock.json"


def check_writable(folder: str | Path) -> None:
    """Refuse an output folder the tool may not write: a file by that name, a read-only folder, or one on a
    read-only filesystem.

    Checked when its lock is taken, before any analysis: a run would otherwise work for minutes
    and then fail (or, where only the folder's own permission bits forbid writing, swap the folder
    away beside it). Root passes permission bits but not a read-only mount.

    Raises
    ------
    InputError
        Naming the folder.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():  # the swap would move the file aside and take its name
        raise InputError("输出目录的位置已有一个文件 (not a folder); 请换一个输出目录", folder)
    if folder.is_dir() and not os.access(folder, os.W_OK | os.X_OK):
        raise InputError("输出目录只读或无写入权限 (read-only); 请换一个输出目录或修改权限", folder)


def lock_folder_for(folder: str | Path) -> Path:
    """The folder whose lock a command writing into ``folder`` takes: the one a run locks.

    That is the nearest of ``folder`` and its parents that a run wrote (it holds the run manifest,
    :data:`geo_tenglong.io.staging.MANIFEST`) or locked (its lock file is beside it) — ``out`` for
    ``out/reports`` — else ``folder`` itself. So ``geo-tenglong report`` into ``out/reports`` and
    ``geo-tenglong map`` into ``maps`` wait for, or refuse, a run writing ``out`` or ``maps``.

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp()).resolve()
    >>> (root / "out" / "reports").mkdir(parents=True)
    >>> lock_folder_for(root / "out" / "reports") == root / "out" / "reports"
    True
    >>> _ = (root / ".out.lock").write_text("")
    >>> lock_folder_for(root / "out" / "reports") == root / "out"
    True
    """
    from .staging import MANIFEST

    folder = Path(folder).resolve()
    for candidate in (folder, *folder.parents):
        if candidate.parent == candidate:
            break
        if (candidate / MANIFEST).is_file() or lock_paths(candidate)[0].exists():
            return candidate
    return folder


def process_start(pid: int) -> float | None:
    """Start time of process ``pid`` (seconds since the epoch), ``None`` when it does not exist."""
    try:
        import psutil

        return float(psutil.Process(pid).create_time())
    except Exception:  # noqa: BLE001 - no such process, access denied, psutil missing
        return None


def holder_alive(holder: dict) -> bool:
    """Whether the process a sidecar names is still the one that wrote it.

    A pid that no longer exists, or exists with a different start time (the pid was reused), is
    dead. Start times are compared to within a second (psutil rounds them from ``/proc``).
    """
    try:
        pid = int(holder["pid"])
        started = float(holder["start"])
    except (KeyError, TypeError, ValueError):
        return False
    now = process_start(pid)
    return now is not None and abs(now - started) < 1.0


def _read_holder(sidecar: Path) -> dict:
    try:
        doc = json.loads(sidecar.read_text(encoding="utf-8"))
        return doc if isinstance(doc, dict) else {}
    except (OSError, ValueError):
        return {}


def _describe(holder: dict) -> str:
    pid = holder.get("pid", "?")
    try:
        started = dt.datetime.fromtimestamp(float(holder["start"])).isoformat(sep=" ", timespec="seconds")
    except (KeyError, TypeError, ValueError):
        started = "未知"
    return f"进程 {pid} (启动于 {started})"


@contextlib.contextmanager
def output_lock(folder: str | Path, run_id: str = "", wait: bool = False, poll: float = 0.5,
                notes: list[str] | None = None) -> Iterator[Path]:
    """Hold the lock of an output folder for the duration of the ``with`` block.

    Parameters
    ----------
    folder : str or Path
        The output folder (it need not exist yet; its parent is created).
    run_id : str
        Written to the sidecar, for whoever is refused.
    wait : bool
        Wait until the holder finishes instead of refusing.
    poll : float
        Seconds between attempts while waiting.
    notes : list of str, optional
        Receives one line when a stale lock of a dead process is taken over.

    Yields
    ------
    Path
        The lock file.

    Raises
    ------
    LockBusy
        When another live run holds the lock and ``wait`` is false; the one-line message names
        the folder and the holder's pid and start time.
    InputError
        When the lock cannot be created (e.g. a read-only parent folder), or the folder exists
        and may not be written (:func:`check_writable`).
    """
    lock_file, sidecar = lock_paths(folder)
    try:
        lock_file.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(lock_file), timeout=-1 if wait else 0)
        lock.acquire(poll_interval=poll)
    except Timeout:
        holder = _read_holder(sidecar)
        raise LockBusy(f"输出目录正被另一次运行使用: {_describe(holder)} 持有锁 {lock_file.name}; "
                       "等它结束或加 --wait 排队", Path(folder)) from None
    except OSError as exc:
        raise InputError(f"无法在输出目录旁建立锁文件 ({exc.strerror or exc})", lock_file) from None
    try:
        check_writable(folder)
        old = _read_holder(sidecar)
        if old and not holder_alive(old) and notes is not None:
            notes.append(f"接管了已失效的锁: {_describe(old)} 已不在运行")
        me = {"pid": os.getpid(), "start": process_start(os.getpid()) or time.time(), "run_id": run_id,
              "folder": str(Path(folder).resolve())}
        try:
            tmp = sidecar.with_name(sidecar.name + f".{os.getpid()}")
            tmp.write_text(json.dumps(me, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, sidecar)
        except OSError as exc:
            raise InputError(f"无法写入锁信息 ({exc.strerror or exc})", sidecar) from None
        yield lock_file
    finally:
        with contextlib.suppress(OSError):
            if _read_holder(sidecar).get("pid") == os.getpid():
                sidecar.unlink()
        lock.release()


@contextlib.contextmanager
def output_locks(out_dir: str | Path, maps_dir: str | Path | None, run_id: str = "", wait: bool = False,
                 notes: list[str] | None = None) -> Iterator[list[Path]]:
    """Hold the locks of a run's output folders (``out`` and ``maps``, one when nested), in path order.

    Parameters
    ----------
    out_dir, maps_dir : str or Path
        The run's targets (``maps_dir`` may be ``None``).
    run_id, wait, notes
        As :func:`output_lock`.

    Yields
    ------
    list of Path
        The lock files held.
    """
    from .staging import target_roots

    with contextlib.ExitStack() as stack:
        held = [stack.enter_context(output_lock(root, run_id=run_id, wait=wait, notes=notes))
                for root in sorted(target_roots(out_dir, maps_dir))]
        yield held
