"""Ids are never handed out twice: after a hard delete of the newest item or upload, the next
one gets a new id (SQLite gave max(id) + 1; migration 0014), so the change feed, the audit log
and webhook receivers never see a new object under a deleted one's id."""

import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from models import db
from tests.factories import tiny_png
from tests.helpers import MIGRATIONS, bare_app, preserved_logging

pytestmark = [
    pytest.mark.filterwarnings("ignore:.*expression-based index.*"),
    pytest.mark.filterwarnings("ignore:'get_engine' is deprecated:DeprecationWarning"),
]


def test_a_hard_deleted_items_id_is_not_given_to_the_next_item(client, user, admin):
    create = lambda name: client.post("/api/items", json={"name": name}, headers=user.headers)  # noqa: E731
    create("older")
    newest = create("newest").get_json()["id"]
    deleted = client.post(
        "/api/admin/items/bulk-delete", json={"ids": [newest]}, headers=admin.headers
    )
    assert deleted.get_json() == {"deleted": 1, "not_found": []}
    assert create("after the delete").get_json()["id"] > newest


def test_a_deleted_uploads_id_is_not_given_to_the_next_upload(client, user):
    def upload() -> int:
        response = client.post(
            "/api/upload",
            data={"file": (io.BytesIO(tiny_png()), "a.png")},
            headers=user.headers,
            content_type="multipart/form-data",
        )
        assert response.status_code == 201, response.get_json()
        return int(response.get_json()["id"])

    upload()
    newest = upload()
    assert client.delete(f"/api/upload/{newest}", headers=user.headers).status_code == 204
    assert upload() > newest


def test_migration_0014_keeps_rows_indexes_and_triggers(tmp_path: Path) -> None:
    """SQLite rebuilds the two tables: the same rows, the same indexes and triggers (the
    search index and the counts still follow every write), and ids no longer reused."""
    app = bare_app(tmp_path, f"sqlite:///{tmp_path / 'old.db'}")
    objects = (
        "SELECT type, name, sql FROM sqlite_master WHERE tbl_name IN ('items', 'uploads') "
        "AND type IN ('index', 'trigger') ORDER BY name"
    )
    with preserved_logging(), app.app_context():
        upgrade(directory=MIGRATIONS, revision="0013")
        with db.engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO users (id, username, email, password_hash, is_admin, is_active, "
                "token_version, created_at) VALUES (1, 'old', 'old@example.com', 'x', 0, 1, 0, "
                "'2026-01-01 00:00:00.000000')"
            )
            for number, name in enumerate(["Alpha one", "Bravo two", "Alpha three"], start=1):
                connection.exec_driver_sql(
                    "INSERT INTO items (id, name, name_folded, description, is_active, "
                    "created_at, updated_at, user_id) VALUES (?, ?, lower(?), '', 1, "
                    "'2026-01-01 00:00:00.000000', '2026-01-01 00:00:00.000000', 1)",
                    (number, name, name),
                )
            connection.exec_driver_sql("DELETE FROM items WHERE id = 3")
            before_objects = connection.exec_driver_sql(objects).all()
            before_rows = connection.exec_driver_sql("SELECT * FROM items ORDER BY id").all()
        upgrade(directory=MIGRATIONS, revision="0014")
        with db.engine.begin() as connection:
            assert connection.exec_driver_sql(objects).all() == before_objects
            assert (
                connection.exec_driver_sql("SELECT * FROM items ORDER BY id").all() == before_rows
            )
            insert = (
                "INSERT INTO items (name, name_folded, description, is_active, created_at, "
                "updated_at, user_id) VALUES ('Alpha four', 'alpha four', '', 1, "
                "'2026-01-02 00:00:00.000000', '2026-01-02 00:00:00.000000', 1)"
            )
            # What was deleted before the upgrade is not known to it: it counts on from max(id).
            connection.exec_driver_sql(insert)
            connection.exec_driver_sql("DELETE FROM items WHERE id = 3")
            connection.exec_driver_sql(insert)
            new_id = connection.exec_driver_sql("SELECT max(id) FROM items").scalar_one()
            found = (
                connection.exec_driver_sql(
                    "SELECT rowid FROM items_search_active WHERE items_search_active MATCH "
                    "'{name} : \"alpha\"' ORDER BY rowid"
                )
                .scalars()
                .all()
            )
            active = connection.execute(
                sa.text("SELECT count FROM item_counts WHERE is_active")
            ).scalar_one()
        db.engine.dispose()
    assert new_id == 4  # 3 was deleted after the upgrade: not handed out again
    assert found == [1, new_id]
    assert active == 3
