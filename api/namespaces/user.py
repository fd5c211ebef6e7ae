from typing import Any

from flask import Response, send_from_directory
from flask_restx import Namespace, Resource, fields, reqparse
from werkzeug.datastructures import FileStorage

from api.deps import current_user, optional_user, token_optional, token_required
from api.docs import errors, json_body, returns
from api.http import (
    IF_MATCH,
    IF_NONE_MATCH,
    PAGINATION_HEADERS,
    REPLAYED_HEADER,
    etag_for,
    page_response,
    require_match,
)
from api.idempotency import idempotent
from api.page_cache import cached_page
from api.schemas import (
    MAX_ID,
    BinaryFile,
    add_cursor,
    item_list_parser,
    item_model,
    page_model,
    pagination_parser,
)
from api.services import items as item_service
from api.services import uploads as upload_service

ns = Namespace("user", description="Items and file uploads", path="/")

item_create_model = ns.model(
    "ItemCreate",
    {
        "name": fields.String(required=True, min_length=1, max_length=255, example="Notebook"),
        "description": fields.String(max_length=10000, example="A5, dotted"),
    },
)
item_update_model = ns.model(
    "ItemUpdate",
    {
        "name": fields.String(min_length=1, max_length=255, example="Notebook"),
        "description": fields.String(max_length=10000, example="A5, squared"),
    },
)
item_page_model = ns.add_model("ItemPage", page_model("ItemPage", item_model))
upload_model = ns.model(
    "Upload",
    {
        "id": fields.Integer(required=True, example=1),
        "filename": fields.String(
            required=True, attribute="original_name", description="Sanitised original name"
        ),
        "url": fields.String(required=True, example="/api/uploads/3f2a9c0e.png"),
        "size": fields.Integer(required=True, description="Bytes"),
        "content_type": fields.String(required=True, example="image/png"),
    },
)

items_parser = item_list_parser()
my_items_parser = add_cursor(pagination_parser())
upload_parser = reqparse.RequestParser(bundle_errors=True)
upload_parser.add_argument(
    "file", type=FileStorage, location="files", required=True, help="The file to upload"
)


@ns.route("/items")
class ItemList(Resource):
    @ns.doc(id="listItems")
    @ns.expect(items_parser)
    @token_optional(scopes=["items:read"])
    @cached_page()
    @errors(400, 414)
    @returns(item_page_model, description="A page of active items", headers=PAGINATION_HEADERS)
    def get(self) -> tuple[dict[str, Any], int, dict[str, str]]:
        """List active items.

        Public. Filter by name (`q`, case-insensitive) or owner (`owner_id`), sort with `sort`
        (default `-created_at`, newest first), page with `page` and `per_page`.
        """
        args = items_parser.parse_args()
        return page_response(item_service.list_items(is_active=True, **args))

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
    @errors(404, e404="No such item, or inactive and not yours")
    @ns.response(304, "Not modified: your `If-None-Match` ETag is current")
    @returns(item_model, description="The item", etag=True)
    def get(self, item_id: int) -> Any:
        """Get one item.

        Public for active items; an inactive item is found only by its owner or an admin.
        Send `If-None-Match` with the `ETag` you have to get a 304 when nothing changed.
        """
        item = item_service.get_visible(item_id, viewer=optional_user())
        return item

    @ns.doc(id="replaceItem", params=IF_MATCH)
    @token_required(scopes=["items:write"])
    @json_body(ns, item_create_model)
    @errors(403, 404, 412)
    @returns(item_model, description="The updated item", etag=True)
    def put(self, item_id: int) -> Any:
        """Replace an item.

        `name` is required; a missing `description` becomes empty. Owner or admin only.
        """
        item = _editable(item_id)
        body = ns.payload
        item = item_service.update_item(
            item, name=body["name"], description=body.get("description", "")
        )
        return item

    @ns.doc(id="updateItem", params=IF_MATCH)
    @token_required(scopes=["items:write"])
    @json_body(ns, item_update_model)
    @errors(403, 404, 412)
    @returns(item_model, description="The updated item", etag=True)
    def patch(self, item_id: int) -> Any:
        """Update some of an item's fields.

        Fields left out keep their value. Owner or admin only.
        """
        item = _editable(item_id)
        body = ns.payload
        item = item_service.update_item(
            item, name=body.get("name"), description=body.get("description")
        )
        return item

    @ns.doc(id="deleteItem", params=IF_MATCH)
    @token_required(scopes=["items:write"])
    @errors(403, 404, 412)
    @ns.response(204, "Deleted (soft: the item becomes inactive)")
    def delete(self, item_id: int) -> Response:
        """Delete an item (soft delete).

        The item becomes inactive: gone from the public list, still visible to its owner and
        administrators. Owner or admin only.
        """
        item_service.soft_delete(_editable(item_id))
        return Response(status=204)


def _editable(item_id: int) -> Any:
    """The item, if the caller may change it and its `If-Match` (if sent) is current."""
    item = item_service.get_manageable(item_id, user=current_user())
    require_match(etag_for(item_model, item))
    return item


@ns.route("/me/items")
class MyItems(Resource):
    @ns.doc(id="listMyItems")
    @ns.expect(my_items_parser)
    @token_required(scopes=["items:read"])
    @cached_page(scope=lambda: current_user().id)
    @errors(400, 414)
    @returns(
        item_page_model,
        description="A page of the caller's items, inactive included",
        headers=PAGINATION_HEADERS,
    )
    def get(self) -> tuple[dict[str, Any], int, dict[str, str]]:
        """List my items.

        The caller's own items, inactive ones included, newest first.
        """
        args = my_items_parser.parse_args()
        return page_response(item_service.list_items(owner_id=current_user().id, **args))


@ns.route("/upload", endpoint="upload")
class UploadFile(Resource):
    @ns.doc(id="uploadFile")
    @ns.expect(upload_parser)
    @token_required(scopes=["uploads:write"])
    @idempotent
    @errors(400, 413, 415, e415="File type not allowed")
    @returns(upload_model, code=201, description="Stored", headers=REPLAYED_HEADER)
    def post(self) -> tuple[Any, int]:
        """Upload a file.

        Send `multipart/form-data` with the field `file`. Allowed types and the size limit are
        configurable (default: png, jpg, jpeg, gif, webp, pdf, txt, csv, json, zip; 16 MB).
        """
        args = upload_parser.parse_args()
        return upload_service.save_upload(owner=current_user(), file=args["file"]), 201


@ns.route("/uploads/<string:filename>")
@ns.param("filename", "Stored file name, as in the upload's `url`")
class UploadedFile(Resource):
    @ns.doc(id="downloadFile")
    @ns.produces(["application/json", "application/octet-stream", "*/*"])
    @token_required(scopes=["uploads:read"])
    @errors(403, 404)
    @ns.response(200, "The file, with its stored content type", BinaryFile())
    def get(self, filename: str) -> Response:
        """Download an uploaded file.

        Owner or admin only; served with `X-Content-Type-Options: nosniff`.
        """
        upload = upload_service.get_for_download(filename, user=current_user())
        response = send_from_directory(
            upload_service.upload_folder(),
            upload.stored_name,
            mimetype=upload.content_type,
            download_name=upload.original_name,
            as_attachment=not upload.content_type.startswith("image/"),
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response
