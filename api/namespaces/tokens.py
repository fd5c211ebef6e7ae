"""Personal access tokens: `/api/me/tokens` for their owner, `/api/admin/tokens` for admins."""

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Response, g
from flask_restx import Resource, fields

from api.core.scopes import SCOPES
from api.http.auth import admin_required, current_user, token_required, token_scopes
from api.http.errors import validation_error
from api.http.operations import errors, json_body, returns
from api.http.pagination import PAGINATION_HEADERS, page_response
from api.http.schemas import BoundedInt, NullableDateTime, page_model, pagination_parser
from api.namespaces import admin, user
from api.services import tokens as token_service
from models.base import MAX_ID

MAX_DAYS = token_service.MAX_DAYS
me_ns, admin_ns = user.ns, admin.ns

token_fields = {
    "id": fields.Integer(required=True, example=7),
    "user_id": fields.Integer(required=True, description="The owner", example=1),
    "name": fields.String(required=True, example="CI deploy"),
    "prefix": fields.String(
        required=True,
        description="The token's first characters, to tell tokens apart",
        example="bapi_pat_Xy3kQ9aB",
    ),
    "scopes": fields.List(
        fields.String(enum=list(SCOPES)), required=True, default=[], example=["items:read"]
    ),
    "created_at": fields.DateTime(required=True, description="ISO 8601, UTC"),
    "expires_at": fields.DateTime(required=True, description="ISO 8601, UTC"),
    "last_used_at": NullableDateTime(
        description="ISO 8601, UTC; updated at most once a minute; null if never used"
    ),
}
token_model = me_ns.model("PersonalAccessToken", token_fields)
created_token_model = me_ns.model(
    "PersonalAccessTokenCreated",
    {
        **token_fields,
        "token": fields.String(
            required=True,
            description="The secret, shown this once: send it as `Authorization: Bearer <token>`",
            example="bapi_pat_Xy3kQ9aB...",
        ),
    },
)
token_create_model = me_ns.model(
    "PersonalAccessTokenCreate",
    {
        "name": fields.String(required=True, min_length=1, max_length=100, example="CI deploy"),
        "scopes": fields.List(
            fields.String(enum=list(SCOPES)),
            required=True,
            min_items=1,
            max_items=len(SCOPES),
            description="What the token may do; never more than your role allows, nor more "
            "than the token making this request holds",
            example=["items:read", "items:write"],
        ),
        "expires_in_days": fields.Integer(
            min=1, max=MAX_DAYS, description="Lifetime in days (give this or `expires_at`)"
        ),
        "expires_at": fields.DateTime(
            description=f"Expiry, ISO 8601 (give this or `expires_in_days`); "
            f"at most {MAX_DAYS} days ahead"
        ),
    },
)
token_page_model = me_ns.add_model(
    "PersonalAccessTokenPage", page_model("PersonalAccessTokenPage", token_model)
)
list_parser = pagination_parser()
admin_list_parser = pagination_parser()
admin_list_parser.add_argument(
    "user_id", type=BoundedInt(1), location="args", help="Only this user's tokens"
)


def _expiry(body: dict[str, Any]) -> datetime:
    days, at = body.get("expires_in_days"), body.get("expires_at")
    if (days is None) == (at is None):
        message = "give exactly one of expires_in_days and expires_at"
        raise validation_error({"expires_in_days": message, "expires_at": message})
    if days is not None:
        return datetime.now(UTC) + timedelta(days=days)
    try:
        parsed = datetime.fromisoformat(str(at).replace("Z", "+00:00"))
        return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError):  # OverflowError: year 1 at +14:00 is before year 1 UTC
        raise validation_error({"expires_at": "is not an ISO 8601 date-time"}) from None


@me_ns.route("/me/tokens")
class MyTokens(Resource):
    @me_ns.doc(id="createPersonalAccessToken")
    @token_required(scopes=["account"], interactive=True)
    @json_body(me_ns, token_create_model)
    @returns(
        created_token_model,
        code=201,
        description="Created; `token` is shown only now",
        location="/api/me/tokens/{id}",
    )
    def post(self) -> tuple[Any, int]:
        """Create a personal access token.

        For scripts and partner integrations: scoped, expiring (at most 365 days), sent as
        `Authorization: Bearer <token>`. The secret is in this response only; the server keeps
        a hash. Needs an interactive login (a personal access token cannot create another).
        """
        body = me_ns.payload
        issued = token_service.issue(
            user=current_user(),
            name=body["name"],
            scopes=body["scopes"],
            expires_at=_expiry(body),
            within=token_scopes(),
            version=g.token_claims["ver"],  # an interactive login: always a JWT
        )
        return issued.to_dict(), 201

    @me_ns.doc(id="listPersonalAccessTokens")
    @me_ns.expect(list_parser)
    @token_required(scopes=["account"])
    @errors(400, 414)
    @returns(token_page_model, description="Your live tokens", headers=PAGINATION_HEADERS)
    def get(self) -> tuple[dict[str, Any], int, dict[str, str]]:
        """List my personal access tokens.

        Unrevoked, unexpired ones, newest first; never the secrets.
        """
        args = list_parser.parse_args()
        return page_response(token_service.list_tokens(user_id=current_user().id, **args))


@me_ns.route("/me/tokens/<int:pat_id>")
@me_ns.param("pat_id", "Personal access token id", minimum=1, maximum=MAX_ID)
class MyToken(Resource):
    @me_ns.doc(id="revokePersonalAccessToken")
    @token_required(scopes=["account"])
    @errors(404)
    @me_ns.response(204, "Revoked: the token no longer works")
    def delete(self, pat_id: int) -> Response:
        """Revoke one of my personal access tokens.

        It stops working at once, on every server instance. Audited.
        """
        user = current_user()
        token_service.revoke(pat_id, actor=user, owner_id=user.id)
        return Response(status=204)


@admin_ns.route("/tokens")
class AdminTokens(Resource):
    @admin_ns.doc(id="adminListTokens")
    @admin_ns.expect(admin_list_parser)
    @admin_required
    @errors(400, 414)
    @returns(token_page_model, description="Live tokens of every user", headers=PAGINATION_HEADERS)
    def get(self) -> tuple[dict[str, Any], int, dict[str, str]]:
        """List every user's personal access tokens.

        Unrevoked, unexpired ones, newest first; filter by `user_id`.
        """
        return page_response(token_service.list_tokens(**admin_list_parser.parse_args()))


@admin_ns.route("/tokens/<int:pat_id>")
@admin_ns.param("pat_id", "Personal access token id", minimum=1, maximum=MAX_ID)
class AdminToken(Resource):
    @admin_ns.doc(id="adminRevokeToken")
    @admin_required
    @errors(404)
    @admin_ns.response(204, "Revoked: the token no longer works")
    def delete(self, pat_id: int) -> Response:
        """Revoke anyone's personal access token.

        It stops working at once. Audited with the acting administrator.
        """
        token_service.revoke(pat_id, actor=current_user())
        return Response(status=204)
