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
from tests.helpers import MIGRATIONS, bare_app, preserved_logging, register

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


def test_a_deleted_webhooks_id_is_not_given_to_the_next_webhook(app_factory):
    """A client retrying its DELETE of the newest subscription must not remove a newer one."""
    client = app_factory(WEBHOOKS_ALLOW_PRIVATE=True).test_client()
    account = register(client)

    def subscribe() -> int:
        body = {"url": "http://127.0.0.1:9/hook", "events": ["item.created"]}
        response = client.post("/api/webhooks", json=body, headers=account.headers)
        assert response.status_code == 201, response.get_json()
        return int(response.get_json()["id"])

    subscribe()
    newest = subscribe()
    assert client.delete(f"/api/webhooks/{newest}", headers=account.headers).status_code == 204
    fresh = subscribe()
    assert fresh > newest
    retried = client.delete(f"/api/webhooks/{newest}", headers=account.headers)
    assert retried.status_code == 404
    assert client.get(f"/api/webhooks/{fresh}", headers=account.headers).status_code == 200


def test_migration_0017_keeps_subscriptions_and_their_deliveries(tmp_path: Path) -> None:
    """SQLite rebuilds `webhook_subscriptions`; dropping it would cascade to its deliveries,
    which the migration keeps aside and puts back."""
    app = bare_app(tmp_path, f"sqlite:///{tmp_path / 'old.db'}")
    stamp = "'2026-01-01 00:00:00.000000'"
    with preserved_logging(), app.app_context():
        upgrade(directory=MIGRATIONS, revision="0016")
        with db.engine.begin() as connection:
            run = connection.exec_driver_sql
            run(
                "INSERT INTO users (id, username, email, password_hash, is_admin, is_active, "
                f"token_version, created_at) VALUES (1, 'old', 'old@example.com', 'x', 0, 1, 0, "
                f"{stamp})"
            )
            for number in (1, 2, 3):
                run(
                    "INSERT INTO webhook_subscriptions (id, user_id, url, events, "
                    "secret_encrypted, created_at, updated_at) VALUES "
                    f"(?, 1, 'https://example.com/h', '[\"item.created\"]', 's', {stamp}, {stamp})",
                    (number,),
                )
            run(
                "INSERT INTO webhook_events (id, type, payload, owner_id, created_at) VALUES "
                f"('evt_1', 'item.created', '{{}}', 1, {stamp})"
            )
            for number, subscription in ((1, 1), (2, 2), (3, 2)):
                run(
                    "INSERT INTO webhook_deliveries (id, event_id, subscription_id, "
                    f"next_attempt_at, created_at) VALUES (?, 'evt_1', ?, {stamp}, {stamp})",
                    (number, subscription),
                )
            run("DELETE FROM webhook_subscriptions WHERE id = 3")
            subscriptions = run("SELECT * FROM webhook_subscriptions ORDER BY id").all()
            deliveries = run("SELECT * FROM webhook_deliveries ORDER BY id").all()
            indexes = run(
                "SELECT name, sql FROM sqlite_master WHERE tbl_name = 'webhook_subscriptions' "
                "AND type = 'index' ORDER BY name"
            ).all()
        upgrade(directory=MIGRATIONS, revision="0017")
        with db.engine.begin() as connection:
            run = connection.exec_driver_sql
            assert run("SELECT * FROM webhook_subscriptions ORDER BY id").all() == subscriptions
            assert run("SELECT * FROM webhook_deliveries ORDER BY id").all() == deliveries
            assert (
                run(
                    "SELECT name, sql FROM sqlite_master WHERE tbl_name = "
                    "'webhook_subscriptions' AND type = 'index' ORDER BY name"
                ).all()
                == indexes
            )
            run("DELETE FROM webhook_subscriptions WHERE id = 2")  # its deliveries go with it
            left = run("SELECT id FROM webhook_deliveries").scalars().all()
            run(
                "INSERT INTO webhook_subscriptions (user_id, url, events, secret_encrypted, "
                f"created_at, updated_at) VALUES (1, 'https://example.com/n', '[]', 's', {stamp}, "
                f"{stamp})"
            )
            new_id = run("SELECT max(id) FROM webhook_subscriptions").scalar_one()
        db.engine.dispose()
    assert left == [1]
    assert new_id == 3  # 2 was deleted after the upgrade: not handed out again
