"""Reconcile upload rows with stored objects (`flask purge-uploads`).

Removes what a crash or an outage can leave behind, none of which a user can reach:
* rows marked deleted whose deletion did not finish, a crash or a store outage mid-delete
  (their object, then the row);
* objects no row names (an upload that died between storing and committing, a deleted user);
* rows whose object is gone (lost outside the app).

Only things older than the grace period are touched, so an upload in flight (its object stored,
its row not yet committed) is never mistaken for an orphan. If the store cannot be listed the
run stops before deleting anything based on the listing: an outage never looks like "missing".
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice
from typing import TypeVar

from sqlalchemy import delete, select

from api.services.uploads import remove_marked_row
from api.storage import Storage
from models import Upload, db, utcnow

BATCH = 500


@dataclass
class PurgeReport:
    unfinished_deletions: int = 0
    partial_writes: int = 0
    objects_without_row: int = 0
    rows_without_object: int = 0


def purge(*, backend: Storage, grace: timedelta, dry_run: bool = False) -> PurgeReport:
    report = PurgeReport()
    cutoff = utcnow() - grace
    report.unfinished_deletions = _finish_deletions(backend, cutoff, dry_run)
    stored = {info.key: info.modified for info in backend.list()}  # raises if the store is down
    report.objects_without_row = _objects_without_row(backend, stored, cutoff, dry_run)
    report.rows_without_object = _rows_without_object(set(stored), cutoff, dry_run)
    report.partial_writes = backend.discard_partial_writes(before=cutoff, dry_run=dry_run)
    return report


def _finish_deletions(backend: Storage, cutoff: datetime, dry_run: bool) -> int:
    marked = db.session.scalars(
        select(Upload).where(Upload.deleted_at.is_not(None), Upload.deleted_at < cutoff)
    ).all()
    if not dry_run:
        for upload in marked:
            backend.delete(upload.stored_name)
            remove_marked_row(upload)  # False if a retried DELETE finished it meanwhile
    return len(marked)


def _objects_without_row(
    backend: Storage, stored: dict[str, datetime], cutoff: datetime, dry_run: bool
) -> int:
    old = [key for key, modified in stored.items() if modified < cutoff]
    orphans = 0
    for keys in _batches(iter(old)):
        known = set(
            db.session.scalars(select(Upload.stored_name).where(Upload.stored_name.in_(keys)))
        )
        for key in keys:
            if key not in known:
                orphans += 1
                if not dry_run:
                    backend.delete(key)
    return orphans


def _rows_without_object(stored: set[str], cutoff: datetime, dry_run: bool) -> int:
    missing: list[int] = []
    query = select(Upload.id, Upload.stored_name).where(
        Upload.deleted_at.is_(None), Upload.created_at < cutoff
    )
    for upload_id, key in db.session.execute(query.execution_options(yield_per=BATCH)):
        if key not in stored:
            missing.append(upload_id)
    if not dry_run:
        for ids in _batches(iter(missing)):
            db.session.execute(delete(Upload).where(Upload.id.in_(ids)))
            db.session.commit()
    return len(missing)


T = TypeVar("T")


def _batches(values: Iterator[T]) -> Iterator[list[T]]:
    while batch := list(islice(values, BATCH)):
        yield batch
