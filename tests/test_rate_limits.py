"""Rate limits through HTTP: every route per address and per user, named limits on expensive
routes, failed logins per (account, address), the headers, the off switch and the spec.

The live side (shared counting across gunicorn workers, races, Redis outages) is in
tests/test_rate_limits_live.py.
"""

import base64
import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api import create_app
from api.http import ratelimit
from api.http.ratelimit import PROTECTED_KEYS, rate_limit, storage
from api.openapi.sdk import FROM_HTTP_SERVER
from tests.helpers import (
    ADMIN,
    Account,
    assert_error,
    bearer,
    build_test_config,
    fail_login,
    login,
    login_body,
    register,
    upload,
)
from tests.spec import inline_shared, operation, operations

LOGIN = "/api/auth/login"
ATTACKER, OWNER = "203.0.113.9", "198.51.100.20"


def at(address: str) -> dict[str, Any]:
    return {"environ_base": {"REMOTE_ADDR": address}}


def via_proxy(address: str) -> dict[str, Any]:
    """As a client behind our one trusted proxy (`PROXY_FIX_COUNT=1`) sees it."""
    return {"headers": {"X-Forwarded-For": address}}


def policies(response: Any) -> dict[str, dict[str, int]]:
    """`RateLimit-Policy` and `RateLimit` merged: name -> {"q", "w", "r", "t"}."""
    out: dict[str, dict[str, int]] = {}
    for header in ("RateLimit-Policy", "RateLimit"):
        for item in response.headers[header].split(", "):
            name, *params = item.split(";")
            values = dict(param.split("=") for param in params)
            out.setdefault(json.loads(name), {}).update({k: int(v) for k, v in values.items()})
    return out


class TestEveryRoute:
    def test_responses_carry_the_ietf_and_x_ratelimit_headers(
        self, client: FlaskClient, user: Account
    ) -> None:
        anonymous = client.get("/api/items")
        assert policies(anonymous).keys() == {"address"}  # no token: per address only
        first = client.get("/api/auth/me", headers=user.headers)
        second = client.get("/api/auth/me", headers=user.headers)
        before, after = policies(first), policies(second)
        assert before.keys() == {"address", "user"}
        assert before["user"]["q"] == 6000 and before["user"]["w"] == 60
        assert after["user"]["r"] == before["user"]["r"] - 1  # remaining only goes down
        assert after["address"]["r"] == before["address"]["r"] - 1
        tightest = min(after["user"]["r"], after["address"]["r"])  # X-RateLimit-*: the tightest
        assert int(second.headers["X-RateLimit-Remaining"]) == tightest
        assert int(second.headers["X-RateLimit-Reset"]) >= int(time.time())
        assert "Retry-After" not in second.headers

    def test_address_limit_answers_429_with_retry_after(
        self, app_factory: Callable[..., Flask]
    ) -> None:
        client = app_factory(ADDRESS_RATE_LIMIT="5 per minute").test_client()
        statuses = [client.get("/api/items").status_code for _ in range(4)]
        statuses.append(client.get("/api/no-such-route").status_code)  # unknown URLs count too
        assert statuses == [200, 200, 200, 200, 404]
        limited = client.get("/api/items")
        body = assert_error(limited, 429)
        assert "5 per 1 minute per client address" in body["error"]
        assert 0 < int(limited.headers["Retry-After"]) <= 60
        assert policies(limited)["address"]["r"] == 0
        assert limited.headers["X-RateLimit-Remaining"] == "0"
        assert client.get("/api/items", **at(OWNER)).status_code == 200  # another address

    def test_user_limit_follows_the_user_across_addresses(
        self, app_factory: Callable[..., Flask]
    ) -> None:
        client = app_factory(USER_RATE_LIMIT="4 per minute").test_client()
        alice, bob = register(client), register(client)
        addresses = ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"]
        for address in addresses:
            assert (
                client.get("/api/auth/me", headers=alice.headers, **at(address)).status_code == 200
            )
        limited = client.get("/api/auth/me", headers=alice.headers, **at("192.0.2.5"))
        assert "per user" in assert_error(limited, 429)["error"]
        assert int(limited.headers["Retry-After"]) > 0
        assert client.get("/api/auth/me", headers=bob.headers).status_code == 200

    def test_a_forged_token_cannot_spend_someone_elses_budget(
        self, app_factory: Callable[..., Flask]
    ) -> None:
        client = app_factory(USER_RATE_LIMIT="3 per minute").test_client()
        victim = register(client)
        header, payload, _ = victim.token.split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
        forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")
        forged = f"{header}.{forged_payload.decode()}.{'A' * 43}"
        for _ in range(6):
            response = client.get("/api/auth/me", headers={"Authorization": f"Bearer {forged}"})
            assert_error(response, 401)
            assert "user" not in policies(response)
        mine = client.get("/api/auth/me", headers=victim.headers)
        assert mine.status_code == 200
        assert policies(mine)["user"]["r"] == 2


class TestNamedLimits:
    def test_register_is_limited_per_address(self, app_factory: Callable[..., Flask]) -> None:
        client = app_factory(REGISTER_RATE_LIMIT="2 per hour").test_client()
        register(client)
        register(client)
        response = client.post(
            "/api/auth/register",
            json={"username": "third_one", "email": "third@example.com", "password": "pw-long-1"},
        )
        assert_error(response, 429)
        policy = policies(response)["register"]
        assert {**policy, "t": 3600} == {"q": 2, "w": 3600, "r": 0, "t": 3600}
        assert 3598 <= policy["t"] <= 3600  # a second may tick between the requests
        assert int(response.headers["Retry-After"]) > 3500
        assert client.get("/api/items").status_code == 200  # other routes are not affected
        other = client.post(
            "/api/auth/register",
            json={"username": "from_elsewhere", "email": "e@example.com", "password": "pw-long-1"},
            **at(OWNER),
        )
        assert other.status_code == 201

    def test_a_dead_token_spends_nothing_of_its_users_limits(
        self, app_factory: Callable[..., Flask]
    ) -> None:
        """A logged-out access token, and a refresh token sent as a bearer, carry our signature,
        so the limiter counts them for their user; refused by authentication (401), the count is
        given back: whoever holds a dead credential cannot lock its owner out."""
        app = app_factory(USER_RATE_LIMIT="4 per minute", CHANGE_PASSWORD_RATE_LIMIT="2 per hour")
        client = app.test_client()
        account = register(client)
        session = login_body(client, account.username, account.password)
        dead = [session["token"], session["refresh_token"]]
        assert client.post("/api/auth/logout", headers=bearer(dead[0])).status_code == 200
        for token in dead * 3:
            headers = {"headers": bearer(token), **at(ATTACKER)}
            assert_error(client.get("/api/auth/me", **headers), 401)
            assert_error(client.post("/api/auth/change-password", json={}, **headers), 401)
        owner = login(client, account.username, account.password)
        me = client.get("/api/auth/me", headers=owner.headers)
        assert me.status_code == 200, me.get_json()
        assert policies(me)["user"]["r"] == 2  # the logout and this request
        new_password = {"current_password": account.password, "new_password": "a-new-pw-long-9"}
        changed = client.post("/api/auth/change-password", json=new_password, headers=owner.headers)
        assert changed.status_code == 200, changed.get_json()

    def test_refresh_is_limited_per_address(self, app_factory: Callable[..., Flask]) -> None:
        client = app_factory(REFRESH_RATE_LIMIT="2 per minute").test_client()
        refresh = client.post(LOGIN, json=ADMIN).get_json()["refresh_token"]
        for _ in range(2):
            response = client.post("/api/auth/refresh", json={"refresh_token": refresh})
            assert response.status_code == 200
            refresh = response.get_json()["refresh_token"]
        limited = client.post("/api/auth/refresh", json={"refresh_token": refresh})
        assert_error(limited, 429)
        assert "refresh" in policies(limited)

    def test_upload_is_limited_per_user(self, app_factory: Callable[..., Flask]) -> None:
        client = app_factory(UPLOAD_RATE_LIMIT="2 per minute").test_client()
        alice, bob = register(client), register(client)
        assert [upload(client, alice).status_code for _ in range(2)] == [201, 201]
        limited = upload(client, alice)
        assert_error(limited, 429)
        assert policies(limited)["upload"]["r"] == 0
        assert upload(client, bob).status_code == 201
        assert client.get("/api/auth/me", headers=alice.headers).status_code == 200

    def test_change_password_is_limited_per_user(self, app_factory: Callable[..., Flask]) -> None:
        client = app_factory(CHANGE_PASSWORD_RATE_LIMIT="1 per hour").test_client()
        user = register(client)
        body = {"current_password": user.password, "new_password": "a-brand-new-password"}
        changed = client.post("/api/auth/change-password", json=body, headers=user.headers)
        assert changed.status_code == 200
        token = changed.get_json()["token"]
        again = {"current_password": "a-brand-new-password", "new_password": "another-new-one"}
        limited = client.post(
            "/api/auth/change-password", json=again, headers={"Authorization": f"Bearer {token}"}
        )
        assert_error(limited, 429)
        assert "change_password" in policies(limited)

    def test_a_route_opts_into_a_named_limit_with_one_decorator(self, tmp_path: Any) -> None:
        app = create_app(build_test_config(tmp_path, PASSWORD_RESET_RATE_LIMIT="2 per hour"))

        @rate_limit("password_reset")
        def reset() -> tuple[dict[str, str], int]:
            return {"message": "accepted"}, 202

        app.add_url_rule("/api/test-reset", "test_reset", reset, methods=["POST"])
        client = app.test_client()
        assert [client.post("/api/test-reset").status_code for _ in range(2)] == [202, 202]
        limited = client.post("/api/test-reset")
        assert_error(limited, 429)
        policy = policies(limited)["password_reset"]
        assert {**policy, "t": 3600} == {"q": 2, "w": 3600, "r": 0, "t": 3600}
        assert 3598 <= policy["t"] <= 3600  # a second may tick between the requests

    def test_an_unknown_limit_name_is_refused_at_import(self) -> None:
        with pytest.raises(ValueError, match="unknown rate limits"):
            rate_limit("pasword_reset")


class TestFailedLogins:
    def test_an_attacker_elsewhere_cannot_lock_the_owner_out(
        self, app_factory: Callable[..., Flask]
    ) -> None:
        client = app_factory(PROXY_FIX_COUNT=1, LOGIN_RATE_LIMIT="3 per minute").test_client()
        for _ in range(3):
            assert_error(fail_login(client, "admin", **via_proxy(ATTACKER)), 401)
        assert_error(fail_login(client, "admin", **via_proxy(ATTACKER)), 429)
        # The right password from the attacker's address waits too ...
        right = {"username": "admin", "password": ADMIN["password"]}
        assert_error(client.post(LOGIN, json=right, **via_proxy(ATTACKER)), 429)
        # ... while the owner, at their own address, logs in.
        owner = client.post(LOGIN, json=right, **via_proxy(OWNER))
        assert owner.status_code == 200, owner.get_json()
        assert policies(owner)["login_account"]["r"] == 3

    def test_name_and_email_are_one_account(self, app_factory: Callable[..., Flask]) -> None:
        client = app_factory(LOGIN_RATE_LIMIT="3 per minute").test_client()
        for name in ("admin", "admin@example.com", "ADMIN"):
            assert_error(fail_login(client, name), 401)
        assert_error(fail_login(client, "Admin@Example.com"), 429)
        assert_error(fail_login(client, "admin"), 429)

    def test_unknown_names_are_counted_as_typed(self, app_factory: Callable[..., Flask]) -> None:
        client = app_factory(LOGIN_RATE_LIMIT="2 per minute").test_client()
        for _ in range(2):
            assert_error(fail_login(client, "ghost"), 401)
        assert_error(fail_login(client, "ghost"), 429)
        assert_error(fail_login(client, "ghost@example.com"), 401)

    @pytest.mark.parametrize("name", ["   ", "\t", "\u3000"])
    def test_blank_names_count_against_the_address(
        self, app_factory: Callable[..., Flask], name: str
    ) -> None:
        """Each costs a password check like any failed login: the address limit counts them
        (they used to skip both limits, an unthrottled stream of bcrypt work)."""
        client = app_factory(LOGIN_IP_RATE_LIMIT="3 per minute").test_client()
        statuses = [fail_login(client, name).status_code for _ in range(5)]
        assert statuses[3:] == [429, 429], statuses
        grant = {"grant_type": "password", "username": name, "password": "wrong-password-1"}
        assert_error(client.post("/api/auth/token", data=grant), 429)

    def test_wrong_current_passwords_count_as_failed_logins(
        self, app_factory: Callable[..., Flask]
    ) -> None:
        client = app_factory(LOGIN_RATE_LIMIT="3 per minute", PROXY_FIX_COUNT=1).test_client()
        user = register(client)
        guess = {"current_password": "a-wrong-guess", "new_password": "whatever-new-1"}
        for _ in range(3):
            response = client.post(
                "/api/auth/change-password",
                json=guess,
                headers={**user.headers, "X-Forwarded-For": ATTACKER},
            )
            assert_error(response, 400, "current_password")
        right = {"current_password": user.password, "new_password": "whatever-new-1"}
        limited = client.post(
            "/api/auth/change-password",
            json=right,
            headers={**user.headers, "X-Forwarded-For": ATTACKER},
        )
        assert_error(limited, 429)
        # The same account's budget at that address: logins by name are refused there too.
        assert_error(fail_login(client, user.username, **via_proxy(ATTACKER)), 429)
        login_body = {"username": user.username, "password": user.password}
        assert client.post(LOGIN, json=login_body, **via_proxy(OWNER)).status_code == 200

    def test_other_change_password_errors_are_not_failed_logins(
        self, app_factory: Callable[..., Flask]
    ) -> None:
        client = app_factory(LOGIN_RATE_LIMIT="2 per minute").test_client()
        user = register(client)
        too_short = {"current_password": user.password, "new_password": "short"}
        for _ in range(4):
            response = client.post(
                "/api/auth/change-password", json=too_short, headers=user.headers
            )
            assert_error(response, 400, "new_password")
        assert login(client, user.username, user.password).id == user.id


class TestOffSwitch:
    def test_disabled_turns_every_limit_off(self, app_factory: Callable[..., Flask]) -> None:
        client = app_factory(
            RATELIMIT_ENABLED=False,
            ADDRESS_RATE_LIMIT="1 per minute",
            LOGIN_RATE_LIMIT="1 per hour",
        ).test_client()
        for _ in range(5):
            response = client.get("/api/items")
            assert response.status_code == 200
            assert "RateLimit" not in response.headers
            assert "X-RateLimit-Limit" not in response.headers
            assert_error(fail_login(client, "admin"), 401)
        assert client.post(LOGIN, json=ADMIN).status_code == 200

    def test_production_refuses_to_start_with_limits_off(self, tmp_path: Any) -> None:
        config = build_test_config(
            tmp_path,
            APP_ENV="production",
            SECRET_KEY="Qz8v-Lm3x-Rt7k-Wp2n-Hd5c-Fb9y-Js4a",
            ADMIN_PASSWORD="a-strong-admin-password-42",
            RATELIMIT_ENABLED=False,
        )
        with pytest.raises(RuntimeError, match="RATELIMIT_ENABLED"):
            create_app(config)

    def test_a_malformed_limit_setting_is_refused_at_start(self, tmp_path: Any) -> None:
        with pytest.raises(ValueError):
            create_app(build_test_config(tmp_path, UPLOAD_RATE_LIMIT="lots"))


class TestDeclared:
    @pytest.fixture
    def spec(self, served_spec: dict[str, Any]) -> dict[str, Any]:
        return inline_shared(served_spec)

    def test_every_operation_declares_its_429(self, spec: dict[str, Any]) -> None:
        assert len(operations(spec)) > 20
        for path, method, op in operations(spec):
            limited = op["responses"].get("429")
            assert limited, f"{method} {path} does not declare 429"
            schema = limited["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorResponse"}
            assert {"Retry-After", "RateLimit", "RateLimit-Policy"} <= limited["headers"].keys()
            assert "ADDRESS_RATE_LIMIT" in limited["description"]

    def test_every_response_declares_the_rate_limit_headers(self, spec: dict[str, Any]) -> None:
        expected = {"RateLimit", "RateLimit-Policy", "X-RateLimit-Limit", "X-RateLimit-Remaining"}
        for item in spec["paths"].values():
            for method, op in item.items():
                if method == "parameters":
                    continue
                for response in op["responses"].values():
                    if not response.get(FROM_HTTP_SERVER):  # gunicorn's own refusals
                        assert expected <= response.get("headers", {}).keys()

    def test_named_limits_are_listed_on_their_operations(self, spec: dict[str, Any]) -> None:
        upload_429 = spec["paths"]["/api/upload"]["post"]["responses"]["429"]["description"]
        assert "`UPLOAD_RATE_LIMIT`" in upload_429
        login_429 = spec["paths"]["/api/auth/login"]["post"]["responses"]["429"]["description"]
        assert "`LOGIN_RATE_LIMIT`" in login_429 and "`LOGIN_IP_RATE_LIMIT`" in login_429
        register_responses = spec["paths"]["/api/auth/register"]["post"]["responses"]
        assert "Retry-After" in register_responses["503"]["headers"]

    def test_cors_exposes_the_headers_to_browsers(self, client: FlaskClient) -> None:
        response = client.get("/api/items", headers={"Origin": "https://app.example.com"})
        exposed = {h.strip() for h in response.headers["Access-Control-Expose-Headers"].split(",")}
        assert {"RateLimit", "RateLimit-Policy", "Retry-After", "X-RateLimit-Remaining"} <= exposed


# --- the headers on every answer ---------------------------------------------------------


class TestRateLimitHeaders:
    def test_login_responses_carry_rate_limit_headers(
        self, app_factory: Callable[..., Flask]
    ) -> None:
        app = app_factory(LOGIN_RATE_LIMIT="5 per minute")
        client = app.test_client()
        ok = client.post("/api/auth/login", json=ADMIN)
        assert ok.status_code == 200
        assert ok.headers["X-RateLimit-Limit"] == "5"
        assert ok.headers["X-RateLimit-Remaining"] == "5"  # successes are not counted
        assert int(ok.headers["X-RateLimit-Reset"]) > 0
        assert "Retry-After" not in ok.headers  # only a 429 tells the client to wait

        bad = {"username": ADMIN["username"], "password": "not-the-password"}
        remaining = []
        for _ in range(5):
            response = client.post("/api/auth/login", json=bad)
            assert response.status_code == 401
            assert response.headers["X-RateLimit-Limit"] == "5"
            remaining.append(int(response.headers["X-RateLimit-Remaining"]))
        assert remaining == [4, 3, 2, 1, 0]

        limited = client.post("/api/auth/login", json=bad)
        assert_error(limited, 429)
        assert limited.headers["X-RateLimit-Remaining"] == "0"
        assert 0 < int(limited.headers["Retry-After"]) <= 60
        # Even the right password is refused while limited.
        assert_error(client.post("/api/auth/login", json=ADMIN), 429)

    def test_default_limit_comes_from_config(self, client: FlaskClient) -> None:
        response = client.post("/api/auth/login", json={"username": "ghost", "password": "x"})
        assert response.status_code == 401
        assert response.headers["X-RateLimit-Limit"] == "10"

    def test_every_route_is_limited_per_address(self, client: FlaskClient) -> None:
        response = client.get("/api/items")
        assert response.status_code == 200
        assert response.headers["X-RateLimit-Limit"] == "6000"  # ADDRESS_RATE_LIMIT
        assert response.headers["RateLimit-Policy"] == '"address";q=6000;w=60'

    def test_login_429_declares_retry_after(self) -> None:
        assert "Retry-After" in operation("/api/auth/login", "post")["responses"]["429"]["headers"]


class TestTheSharedTable:
    """The embedded counters' table (api/http/ratelimit/storage.py) against a client who fills
    it on purpose: a penetration test reset its own failed-login count with 40 requests whose
    made-up tokens it had picked offline to land beside that counter (the slot hash was unkeyed)."""

    ACCOUNT_KEY = "login_account:user:1|127.0.0.1"  # the admin, failing at the test address

    @staticmethod
    def crowding_tokens(key: str, slot_of: Callable[[str], int], count: int) -> list[str]:
        """Bearer tokens whose per-token counters (`user:token:...`) probe `key`'s slot: their
        homes lie up to PROBES - 1 slots before it, by `slot_of` (the table's own hash, or an
        attacker's guess at it). Once those slots are full, each evicts the oldest among them."""
        home, tokens, n = slot_of(key), [], 0
        while len(tokens) < count:
            n += 1
            token = f"made-up-{n}"
            digest = hashlib.sha256(token.encode()).hexdigest()[:32]
            if (home - slot_of(f"user:token:{digest}")) % storage.SLOTS < storage.PROBES:
                tokens.append(token)
        return tokens

    def flood_then_fail(self, app: Flask, tokens: list[str]) -> int:
        """Three failed logins (the limit), the made-up tokens, then a fourth attempt."""
        client = app.test_client()
        for _ in range(3):
            assert_error(fail_login(client, "admin"), 401)
        for token in tokens:
            answer = client.get("/api/items", headers={"Authorization": f"Bearer {token}"})
            assert_error(answer, 401)
        return fail_login(client, "admin").status_code

    @staticmethod
    def table_secret(app: Flask) -> bytes:
        path = Path(app.config["DATA_DIR"]) / "ratelimits.bin"
        return storage.HEADER.unpack_from(path.read_bytes()[: storage.HEADER_SIZE], 0)[3]

    def test_tokens_crowding_a_failed_login_counter_do_not_evict_it(
        self, app_factory: Callable[..., Flask]
    ) -> None:
        """Even chosen with the table's secret (which no client has): its counters of failed
        logins are evicted last, after every counter a client can mint at will."""
        app = app_factory(LOGIN_RATE_LIMIT="3 per minute")
        app.test_client().get("/api/health")  # the table exists, with its secret
        secret = self.table_secret(app)

        def slot_of(key: str) -> int:
            protected = key.startswith(PROTECTED_KEYS)
            return (storage._key_hash(key, secret, protected) >> 1) % storage.SLOTS

        tokens = self.crowding_tokens(self.ACCOUNT_KEY, slot_of, 2 * storage.PROBES)
        assert self.flood_then_fail(app, tokens) == 429

    def test_without_the_secret_nobody_can_pick_keys_that_crowd_a_counter(
        self, app_factory: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        """Every counter unprotected, so only the keyed hash stands in the way: tokens chosen
        by the unkeyed hash the attack used land anywhere."""
        monkeypatch.setattr(ratelimit, "PROTECTED_KEYS", ())
        app = app_factory(LOGIN_RATE_LIMIT="3 per minute")

        def unkeyed_slot(key: str) -> int:
            digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
            return int.from_bytes(digest, "little") % storage.SLOTS

        tokens = self.crowding_tokens(self.ACCOUNT_KEY, unkeyed_slot, 2 * storage.PROBES)
        assert self.flood_then_fail(app, tokens) == 429
        other = storage.SharedFileCounters(tmp_path / "another-host.bin")
        other.incr([("address:192.0.2.1", 60_000, 1)])
        assert other._secret != self.table_secret(app)  # one per table

    def test_past_the_address_limit_no_counter_is_made_per_name(
        self, app_factory: Callable[..., Flask]
    ) -> None:
        """Each made-up name has a failed-login counter of its own: refused at the address
        first, a client cannot mint them as fast as it sends."""
        app = app_factory(LOGIN_IP_RATE_LIMIT="3 per minute")
        client = app.test_client()
        names = [f"ghost-{n}" for n in range(10)]
        statuses = [fail_login(client, name).status_code for name in names]
        assert statuses == [401] * 3 + [429] * 7
        counters = app.extensions["ratelimit"].counters
        kept = counters.incr(
            [(f"login_account:name:{name}|127.0.0.1", 60_000, 0) for name in names]
        )
        assert [count for count, _ in kept] == [1] * 3 + [0] * 7

    def test_made_up_methods_are_one_route_for_the_limiter(
        self, app_factory: Callable[..., Flask]
    ) -> None:
        """The limiter remembers each route's limits: per method it serves, and one entry for
        all the others (any 3-20 letters pass gunicorn), so they cannot grow its memory."""
        app = app_factory()
        client = app.test_client()
        for n in range(200):
            assert client.open("/api/items", method=f"MADEUP{n}").status_code == 405
        routes = app.extensions["ratelimit"]._routes
        assert list(routes) == [(None, "OTHER")], list(routes)[:5]  # 405: no endpoint
