"""There is always at least one active administrator (issue 10, finding 7), even when two
administrators demote or deactivate each other at the same moment: one wins, the other gets 409.

The race runs many rounds on a database file shared by threads (on PostgreSQL with
`scripts/test-postgres.sh`, which sets TEST_DATABASE_URL), each request in its own connection.
"""

from collections import Counter
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.helpers import ADMIN, Account, login, race, register

ROUNDS = 40
ATTACKS = [
    ({"is_admin": False}, {"is_admin": False}),  # demote each other
    ({"is_active": False}, {"is_active": False}),  # deactivate each other
    ({"is_admin": False}, {"is_active": False}),  # one of each
]


def patch_user(app: Flask, actor: Account, target: int, body: dict) -> Callable[[], int]:
    """The status of `actor` patching user `target`, from a client (and connection) of its own."""
    url = f"/api/admin/users/{target}"
    return lambda: app.test_client().patch(url, json=body, headers=actor.headers).status_code


def active_admins(client: FlaskClient, headers: dict[str, str]) -> int:
    users = client.get("/api/admin/users?per_page=100", headers=headers).get_json()["items"]
    return sum(1 for u in users if u["is_admin"] and u["is_active"])


def test_two_admins_removing_each_other_at_once_leave_one_active_admin(
    app_factory: Any, shared_database_url: str
) -> None:
    shared_app = app_factory(SQLALCHEMY_DATABASE_URI=shared_database_url, RATELIMIT_ENABLED=False)
    client = shared_app.test_client()
    root = login(client, ADMIN["username"], ADMIN["password"])
    outcomes: Counter[tuple[int, int]] = Counter()
    for round_number in range(ROUNDS):
        other = register(client)
        promoted = client.patch(
            f"/api/admin/users/{other.id}", json={"is_admin": True}, headers=root.headers
        )
        assert promoted.status_code == 200
        body_a, body_b = ATTACKS[round_number % len(ATTACKS)]
        statuses = race(
            patch_user(shared_app, root, other.id, body_a),
            patch_user(shared_app, other, root.id, body_b),
        )
        outcomes[tuple(sorted(statuses))] += 1
        # Never both: the loser is refused (409), or, if the winner deactivated it before its
        # request was even authenticated, its token is dead (401) or its rights gone (403).
        assert statuses.count(200) == 1, (round_number, statuses)
        assert set(statuses) <= {200, 401, 403, 409}, statuses
        survivor = root if statuses[0] == 200 else login(client, other.username, other.password)
        assert active_admins(client, survivor.headers) == 1, round_number
        if survivor is not root:  # put the root admin back for the next round
            restore = {"is_admin": True, "is_active": True}
            response = client.patch(
                f"/api/admin/users/{root.id}", json=restore, headers=survivor.headers
            )
            assert response.status_code == 200
            root = login(client, ADMIN["username"], ADMIN["password"])
        demote = {"is_admin": False}
        assert (
            client.patch(f"/api/admin/users/{other.id}", json=demote, headers=root.headers)
        ).status_code in (200, 404)
        assert active_admins(client, root.headers) == 1
    assert outcomes[(200, 409)] > 0, outcomes  # the race did happen, and was refused


def test_demoting_a_non_admin_or_an_inactive_admin_is_always_allowed(client, admin, make_user):
    plain = make_user()
    ok = client.patch(
        f"/api/admin/users/{plain.id}", json={"is_active": False}, headers=admin.headers
    )
    assert ok.status_code == 200
    dormant = make_user()
    client.patch(f"/api/admin/users/{dormant.id}", json={"is_admin": True}, headers=admin.headers)
    client.patch(f"/api/admin/users/{dormant.id}", json={"is_active": False}, headers=admin.headers)
    demoted = client.patch(
        f"/api/admin/users/{dormant.id}", json={"is_admin": False}, headers=admin.headers
    )
    assert demoted.status_code == 200 and demoted.get_json()["is_admin"] is False
