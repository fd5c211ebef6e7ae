from typing import Any

from flask import Response
from flask_restx import Namespace, Resource, fields

from api.http.auth import admin_required, current_user
from api.http.conditional import IF_MATCH, PAGE_ETAG_HEADER, etag_for, require_match
from api.http.operations import (
    conditional_list,
    described,
    errors,
    json_body,
    returns,
)
from api.http.page_cache import cached_list
from api.http.pagination import PAGINATION_HEADERS, page_response
from api.http.schemas import (
    UNKNOWN_PARAMETERS,
    BoundedInt,
    BoundedStr,
    NullableInteger,
    NullableString,
    admin_item_list_parser,
    item_model,
    page_model,
    pagination_parser,
    user_model,
)
from api.services import admin as admin_service
from api.services import audit as audit_service
from api.services import items as item_service
from api.webhooks import WEBHOOK_AUDIT_ACTIONS
from models.base import MAX_ID

AUDIT_ACTIONS = (
    "item.toggle",
    "item.update",
    "item.delete",
    "item.bulk_delete",
    "user.update",
    "upload.delete",
    "token.create",
    "token.revoke",
    "password.reset",
    "password.change",
    *WEBHOOK_AUDIT_ACTIONS,
)

ns = Namespace("admin", description="Administration (admin token required)", path="/admin")

admin_item_page_model = ns.add_model(
    "AdminItemPage", page_model("AdminItemPage", item_model, keyset=True)
)
user_page_model = ns.add_model("UserPage", page_model("UserPage", user_model))
bulk_delete_model = ns.model(
    "BulkDeleteRequest",
    {
        "ids": fields.List(
            fields.Integer(min=1, max=MAX_ID),
            required=True,
            min_items=1,
            max_items=1000,
            description="Ids of items to delete for good",
            example=[1, 2, 3],
        )
    },
)
bulk_delete_result_model = ns.model(
    "BulkDeleteResult",
    {
        "deleted": fields.Integer(required=True, description="Items actually deleted"),
        "not_found": fields.List(
            fields.Integer,
            required=True,
            default=[],
            description="Requested ids that did not exist",
        ),
    },
)
user_counts_model = ns.model(
    "UserCounts",
    {
        "total": fields.Integer(required=True),
        "active": fields.Integer(required=True),
        "admins": fields.Integer(required=True),
    },
)
stats_model = ns.model(
    "Stats",
    {
        "total": fields.Integer(required=True, description="All items"),
        "active": fields.Integer(required=True),
        "inactive": fields.Integer(required=True),
        "users": fields.Nested(user_counts_model, required=True),
    },
)
user_patch_model = ns.model(
    "UserPatch",
    {
        "is_admin": fields.Boolean(description="Grant or remove administrator rights"),
        "is_active": fields.Boolean(description="Activate or deactivate the account"),
    },
)

items_parser = admin_item_list_parser()
users_parser = pagination_parser()
users_parser.add_argument(
    "q", type=BoundedStr(255), location="args", help="Username or email contains"
)
users_parser.add_argument(
    "sort",
    choices=tuple(admin_service.USER_SORTS),
    default="-created_at",
    location="args",
    help="Sort order; '-' for descending",
)

audit_entry_model = ns.model(
    "AuditEntry",
    {
        "id": fields.Integer(required=True, readonly=True),
        "actor_id": NullableInteger(required=True, description="Who acted (null if since deleted)"),
        "action": fields.String(required=True, enum=list(AUDIT_ACTIONS), example="item.toggle"),
        "target_type": fields.String(
            required=True, enum=["item", "user", "upload", "token", "webhook"]
        ),
        "target_id": fields.String(required=True, description="Id(s) of the target"),
        "details": fields.Raw(
            required=True, description="What changed", example={"is_active": False}
        ),
        "request_id": NullableString(
            required=True, description="`X-Request-ID` of the request that did it, if any"
        ),
        "created_at": fields.DateTime(required=True, description="ISO 8601, UTC"),
    },
)
audit_page_model = ns.add_model("AuditPage", page_model("AuditPage", audit_entry_model))
audit_parser = pagination_parser()
audit_parser.add_argument(
    "action", choices=AUDIT_ACTIONS, location="args", help="Only this kind of action"
)
audit_parser.add_argument("actor_id", type=BoundedInt(1), location="args", help="Only this admin")

SELF_CHANGE = (
    "Administrators cannot demote or deactivate themselves, and the last active administrator "
    "cannot be demoted or deactivated"
)
LIST_HEADERS = {**PAGINATION_HEADERS, **PAGE_ETAG_HEADER}


@ns.route("/items")
class AdminItems(Resource):
    @ns.doc(id="adminListItems")
    @admin_required
    @conditional_list(ns, items_parser)
    @returns(
        admin_item_page_model,
        description="A page of all items, inactive included",
        headers=LIST_HEADERS,
    )
    @described(UNKNOWN_PARAMETERS)
    def get(self) -> Response:
        """List every item, inactive included.

        Takes the same `page`, `per_page`, `after`, `q`, `sort`, `updated_since` and `owner_id`
        parameters as `listItems`, plus `is_active` to show only active or only inactive items.
        Pages carry an `ETag` (`If-None-Match` gives a 304).
        """
        args = items_parser.parse_args()
        return cached_list(
            admin_item_page_model,
            args,
            lambda: item_service.list_items(**args),
            private=True,
        )


@ns.route("/items/<int:item_id>/toggle")
@ns.param("item_id", "Item id", minimum=1, maximum=MAX_ID)
class AdminToggleItem(Resource):
    @ns.doc(id="adminToggleItem", params=IF_MATCH)
    @admin_required
    @errors(400, 404, 412, e400="Malformed `If-Match` header (not `*` or a list of quoted ETags)")
    @returns(item_model, description="The item with `is_active` flipped", etag=True)
    def post(self, item_id: int) -> Any:
        """Flip an item between active and inactive.

        Deactivating hides the item from the public list; activating restores it (a deleted
        item is read-only for its owner until then).
        """
        item = admin_service.get_item(item_id)
        require_match(etag_for(item_model, item))
        item = admin_service.toggle_item(item, actor=current_user())
        return item


@ns.route("/items/bulk-delete")
class AdminBulkDelete(Resource):
    @ns.doc(id="adminBulkDeleteItems")
    @admin_required
    @json_body(ns, bulk_delete_model)
    @returns(bulk_delete_result_model, description="What was deleted and what did not exist")
    def post(self) -> dict[str, Any]:
        """Delete items for good (hard delete).

        Ids that do not exist are reported in `not_found`; `deleted` counts the rows removed.
        """
        return admin_service.bulk_delete(ns.payload["ids"], actor=current_user())


@ns.route("/stats")
class AdminStats(Resource):
    @ns.doc(id="adminGetStats")
    @admin_required
    @returns(stats_model, description="Item and user counts")
    def get(self) -> dict[str, Any]:
        """Count items and users.

        Items by state (`active`, `inactive`) and users (`active`, `admins`).
        """
        return admin_service.stats()


@ns.route("/users")
class AdminUsers(Resource):
    @ns.doc(id="adminListUsers")
    @admin_required
    @conditional_list(ns, users_parser)
    @returns(user_page_model, description="A page of users", headers=PAGINATION_HEADERS, etag=True)
    @described(UNKNOWN_PARAMETERS)
    def get(self) -> tuple[dict[str, Any], int, dict[str, str]]:
        """List all users.

        Paginated; filter by `q` (username or email contains) and sort with `sort`.
        """
        return page_response(admin_service.list_users(**users_parser.parse_args()))


@ns.route("/users/<int:user_id>")
@ns.param("user_id", "User id", minimum=1, maximum=MAX_ID)
class AdminUser(Resource):
    @ns.doc(id="adminUpdateUser")
    @admin_required
    @json_body(ns, user_patch_model)
    @errors(404, 409, e409=SELF_CHANGE)
    @returns(user_model, description="The updated user")
    def patch(self, user_id: int) -> Any:
        """Change a user's role or state.

        Only `is_admin` and `is_active` are read. Deactivation revokes every token the user
        holds, for good. An administrator cannot demote or deactivate itself (409), and there is
        always at least one active administrator: a change that would leave none is a 409, even
        when two administrators demote each other at the same moment.
        """
        body = ns.payload
        return admin_service.update_user(
            user_id,
            actor=current_user(),
            is_admin=body.get("is_admin"),
            is_active=body.get("is_active"),
        )


@ns.route("/users/<int:user_id>/toggle")
@ns.param("user_id", "User id", minimum=1, maximum=MAX_ID)
class AdminToggleUser(Resource):
    @ns.doc(id="adminToggleUser")
    @admin_required
    @errors(404, 409, e409=SELF_CHANGE)
    @returns(user_model, description="The user with `is_active` flipped")
    def post(self, user_id: int) -> Any:
        """Activate or deactivate a user.

        Deactivation revokes every token the user holds, for good; a reactivated user logs in
        again. An administrator cannot deactivate itself (409), nor the last other active
        administrator (409).
        """
        return admin_service.toggle_user(user_id, actor=current_user())


@ns.route("/audit")
class AdminAudit(Resource):
    @ns.doc(id="adminListAudit")
    @admin_required
    @conditional_list(ns, audit_parser)
    @returns(
        audit_page_model,
        description="A page of audit entries",
        headers=PAGINATION_HEADERS,
        etag=True,
    )
    @described(UNKNOWN_PARAMETERS)
    def get(self) -> tuple[dict[str, Any], int, dict[str, str]]:
        """List the admin audit log, newest first.

        Every administrative change (item toggle, bulk delete, user change) with its actor,
        target, time and request id.
        """
        return page_response(audit_service.list_entries(**audit_parser.parse_args()))
