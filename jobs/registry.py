"""What the reconciler (``jobs/reconcile.py``) looks after besides jobs' own ``Job`` rows, filled in
by the apps that own it from their ``AppConfig.ready()``: ``jobs`` sits below every app and imports
none of them.

- ``register_stale_work``: a kind of work an app records in the database (a rollup run) that the
  reconciler puts back in the queue when it is stale. The app says which pieces are stale (how it
  knows that a worker still holds one is its own business: a lock, a heartbeat), how to put one back,
  and how to give one up.
- ``register_upload_folder``: a folder of the default storage whose files the reconciler removes
  once older than ``SXSH_UPLOADS_KEPT_FOR`` unless the app says they are still in use."""

import datetime
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class StaleWork:
    target: str
    find: Callable[[datetime.datetime], Iterable[int]]
    enqueue: Callable[[int], object]
    give_up: Callable[[int], object]
    given_up_as: str = "marked failed"


@dataclass(frozen=True)
class UploadFolder:
    path: str
    in_use: Callable[[list[str]], Collection[str]] | None = None


_stale_work: dict[str, StaleWork] = {}
_upload_folders: dict[str, UploadFolder] = {}


def register_stale_work(
    target: str,
    *,
    find: Callable[[datetime.datetime], Iterable[int]],
    enqueue: Callable[[int], object],
    give_up: Callable[[int], object],
    given_up_as: str = "marked failed",
) -> None:
    """Let the reconciler put back work of kind ``target`` (its name in the ``jobs.Requeue``
    ledger, at most 24 characters): ``find(now)`` gives the ids of the stale pieces, ``enqueue(id)``
    sends one to the queue again (its task must claim it, so that a copy does nothing), and
    ``give_up(id)`` marks one failed once it was put back ``SXSH_RECONCILE_MAX_REQUEUES`` times.
    Registering a target again replaces it."""
    if not target or len(target) > 24:
        raise ValueError(f"a ledger target has 1 to 24 characters: {target!r}")
    _stale_work[target] = StaleWork(target, find, enqueue, give_up, given_up_as)


def stale_work() -> list[StaleWork]:
    """The registered kinds of work, in the order they were registered."""
    return list(_stale_work.values())


def register_upload_folder(
    path: str, *, in_use: Callable[[list[str]], Collection[str]] | None = None
) -> None:
    """Let the reconciler sweep ``path`` (a folder of the default storage, every level below it
    included). A file there older than ``SXSH_UPLOADS_KEPT_FOR`` is removed unless it is among
    ``in_use(names)``, which is given the storage names of the old files and answers those still
    needed (in one query, not one per file); without ``in_use`` nothing but its age keeps a file."""
    path = path.strip("/")
    if not path:
        raise ValueError("an upload folder is a folder below the storage's root")
    _upload_folders[path] = UploadFolder(path, in_use)


def upload_folders() -> list[UploadFolder]:
    return list(_upload_folders.values())
