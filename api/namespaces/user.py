from typing import Any

from flask import Response
from flask_restx import Namespace, Resource, fields

from api.http.auth import (
    acting_user,
    current_user,
    optional_acting_user,
    token_optional,
    token_required,
)
from api.http.conditional import (
    IF_MATCH,
    IF_NONE_MATCH,
    NOT_MODIFIED_HEADERS,
    PAGE_ETAG_HEADER,
    etag_for,
    require_match,
)
from api.http.idempotency import idempotent
from api.http.operations import (
    NOT_BLANK_PATTERN,
    NOT_MODIFIED,
    conditional_list,
    described,
    errors,
    json_body,
    returns,
)
from api.http.page_cache import cached_list
from api.http.pagination import PAGINATION_HEADERS, REPLAYED_HEADER
from api.http.schemas import (
    UNKNOWN_PARAMETERS,
    item_list_parser,
    item_model,
    my_item_list_parser,
    page_model,
)
from api.services import items as item_service
from models import Item
from models.base import MAX_ID

ns = Namespace("user", description="Items and file uploads", path="/")

LIST_HEADERS = {**PAGINATION_HEADERS, **PAGE_ETAG_HEADER}
CHANGE_FEED = (
    "**Change feed**: `sort=updated_at&updated_since=<time>&after=` walks every item changed "
    "since then, oldest change first, by cursor. Keep the last page's newest `updated_at` and "
    "poll again from a few seconds before it (a write in flight may commit a moment late); "
    "an item appears again each time it changes. Hard deletes (`adminBulkDeleteItems`) "
    "are not in the feed."
)
DELETED_ITEM_RULES = (
    "A soft-deleted item is read-only for its owner (409) until an administrator restores it "
    "with `adminToggleItem`; administrators may still edit it (it stays deleted), and their "
    "`DELETE` of a deleted item changes nothing (204). Someone else's deleted item is a 404 on "
    "every method, like a missing id."
)
GONE = "No such item, or deleted and not yours"
READ_ONLY = "The item is deleted: read-only for its owner until an administrator restores it"
BAD_IF_MATCH = "Malformed `If-Match` header (not `*` or a list of quoted ETags)"

item_create_model = ns.model(
    "ItemCreate",
    {
        "name": fields.String(
            required=True,
            min_length=1,
            max_length=255,
            pattern=NOT_BLANK_PATTERN,
            description="Not blank: at least one character other than white space",
            example="Notebook",
        ),
        "description": fields.String(max_length=10000, example="A5, dotted"),
    },
)
item_update_model = ns.model(
    "ItemUpdate",
    {
        "name": fields.String(
            min_length=1,
            max_length=255,
            pattern=NOT_BLANK_PATTERN,
            description="Not blank: at least one character other than white space",
            example="Notebook",
        ),
        "description": fields.String(max_length=10000, example="A5, squared"),
    },
)
item_page_model = ns.add_model("ItemPage", page_model("ItemPage", item_model, keyset=True))

items_parser = item_list_parser()
my_items_parser = my_item_list_parser()


@ns.route("/items")
class ItemList(Resource):
    @ns.doc(id="listItems")
    @token_optional(scopes=["items:read"])
    @conditional_list(ns, items_parser)
    @returns(item_page_model, description="A page of active items", headers=LIST_HEADERS)
    @described(CHANGE_FEED, UNKNOWN_PARAMETERS)
    def get(self) -> Response:
        """List active items.

        Public. Filter by name (`q`, case-insensitive), owner (`owner_id`) or last change
        (`updated_since`); sort with `sort` (default `-created_at`, newest first); page with
        `page` and `per_page`, or by cursor with `after`. Pages carry an `ETag`: send it back as
        `If-None-Match` to get a 304 while nothing changed. Deleted items are not listed (see
        `listMyItems` for a feed that includes them).
        """
        args = items_parser.parse_args()
        return cached_list(
            item_page_model, args, lambda: item_service.list_items(is_active=True, **args)
        )

    @ns.doc(id="createItem")
    @token_required(scopes=["items:write"])
    @idempotent
    @json_body(ns, item_create_model)
    @returns(
        item_model,
        code=201,
        description="Created, owned by the caller",
        headers=REPLAYED_HEADER,
        etag=True,
        location="/api/items/{id}",
    )
    def post(self) -> tuple[Any, int]:
        """Create an item.

        The caller becomes its owner; only `name` and `description` are read.
        """
        body = ns.payload
        item = item_service.create_item(
            owner=current_user(), name=body["name"], description=body.get("description")
        )
        return item, 201


@ns.route("/items/<int:item_id>")
@ns.param("item_id", "Item id", minimum=1, maximum=MAX_ID)
class ItemDetail(Resource):
    @ns.doc(id="getItem", params=IF_NONE_MATCH)
    @token_optional(scopes=["items:read"])
    @errors(404, e404=GONE)
    @ns.response(304, NOT_MODIFIED, headers=NOT_MODIFIED_HEADERS)
    @returns(item_model, description="The item", etag=True)
    def get(self, item_id: int) -> Any:
        """Get one item.

        Public for active items; an inactive item is found only by its owner or an admin.
        Send `If-None-Match` with the `ETag` you have to get a 304 when nothing changed.
        """
        item = item_service.get_visible(item_id, viewer=optional_acting_user("admin:read"))
        return item

    @ns.doc(id="replaceItem", params=IF_MATCH)
    @token_required(scopes=["items:write"])
    @json_body(ns, item_create_model)
    @errors(403, 404, 409, 412, e404=GONE, e409=READ_ONLY)
    @returns(item_model, description="The updated item", etag=True)
    @described(DELETED_ITEM_RULES)
    def put(self, item_id: int) -> Any:
        """Replace an item.

        `name` is required; a missing `description` becomes empty. Owner or admin only.
        """
        item = _editable(item_id)
        body = ns.payload
        item = item_service.update_item(
            item,
            actor=current_user(),
            name=body["name"],
            description=body.get("description", ""),
        )
        return item

    @ns.doc(id="updateItem", params=IF_MATCH)
    @token_required(scopes=["items:write"])
    @json_body(ns, item_update_model)
    @errors(403, 404, 409, 412, e404=GONE, e409=READ_ONLY)
    @returns(item_model, description="The updated item", etag=True)
    @described(DELETED_ITEM_RULES)
    def patch(self, item_id: int) -> Any:
        """Update some of an item's fields.

        Fields left out keep their value. Owner or admin only.
        """
        item = _editable(item_id)
        body = ns.payload
        item = item_service.update_item(
            item, actor=current_user(), name=body.get("name"), description=body.get("description")
        )
        return item

    @ns.doc(id="deleteItem", params=IF_MATCH)
    @token_required(scopes=["items:write"])
    @errors(400, 403, 404, 409, 412, e400=BAD_IF_MATCH, e404=GONE, e409=READ_ONLY)
    @ns.response(204, "Deleted (soft: the item becomes inactive)")
    @described(DELETED_ITEM_RULES)
    def delete(self, item_id: int) -> Response:
        """Delete an item (soft delete).

        The item becomes inactive: gone from the public list, still visible to its owner and
        administrators. Owner or admin only.
        """
        item_service.soft_delete(_editable(item_id), actor=current_user())
        return Response(status=204)


def _editable(item_id: int) -> Item:
    """The item, if the caller may change it and its `If-Match` (if sent) is current."""
    item = item_service.get_manageable(item_id, user=acting_user("admin:write"))
    require_match(etag_for(item_model, item))
    return item


@ns.route("/me/items")
class MyItems(Resource):
    @ns.doc(id="listMyItems")
    @token_required(scopes=["items:read"])
    @conditional_list(ns, my_items_parser)
    @returns(
        item_page_model,
        description="A page of the caller's items, soft-deleted ones included unless "
        "`include_inactive=false`",
        headers=LIST_HEADERS,
    )
    @described(CHANGE_FEED, UNKNOWN_PARAMETERS)
    def get(self) -> Response:
        """List my items, soft-deleted ones included.

        The caller's own items, deleted (`is_active: false`) ones included unless
        `include_inactive=false`, so a partner syncing from it sees deletions. Takes the same
        `page`, `per_page`, `after`, `q`, `sort` and `updated_since` as `listItems`.
        """
        args = my_items_parser.parse_args()
        filters = {k: v for k, v in args.items() if k != "include_inactive"}
        is_active = None if args["include_inactive"] else True
        user_id = current_user().id
        return cached_list(
            item_page_model,
            args,
            lambda: item_service.list_items(owner_id=user_id, is_active=is_active, **filters),
            scope=user_id,
            private=True,
        )
