"""Upload resources, on the `user` namespace (paths under `/api`) plus the admin listing.

`POST /upload`, `GET /upload/<id>`, `DELETE /upload/<id>`, `GET /me/uploads`,
`GET /uploads/<stored name>` (token or signed link) and `GET /admin/uploads`.
"""

from typing import Any, TypeVar

from flask import Response, request
from flask_restx import Resource, fields, reqparse
from werkzeug.datastructures import FileStorage

from api.http import settings
from api.http.auth import (
    acting_user,
    admin_required,
    current_user,
    optional_acting_user,
    require_token_scopes,
    token_optional,
    token_required,
)
from api.http.errors import ApiError, validation_error
from api.http.idempotency import idempotent
from api.http.operations import RETRY_AFTER, errors, json_body, returns
from api.http.pagination import PAGINATION_HEADERS, REPLAYED_HEADER, page_response
from api.http.schemas import (
    BinaryFile,
    BoundedInt,
    BoundedStr,
    StringMap,
    error_model,
    page_model,
)
from api.http.schemas import pagination_parser as _pagination_parser
from api.namespaces.admin import ns as admin_ns
from api.namespaces.user import ns
from api.services import direct_uploads
from api.services import uploads as upload_service
from models import Upload
from models.base import MAX_ID

upload_model = ns.model(
    "Upload",
    {
        "id": fields.Integer(required=True, example=1),
        "user_id": fields.Integer(required=True, description="Owner's user id", example=1),
        "filename": fields.String(required=True, description="Sanitised original name"),
        "url": fields.String(
            required=True,
            description="Short-lived signed download link: works with no `Authorization` "
            "header (e.g. `<img src>`) until `url_expires_at`; a relative link is served by "
            "this API, an absolute one by the object store. `getUpload` gives a fresh one.",
            example="/api/uploads/3f2a9c0e.png?expires=1767225600&signature=9b1f...",
        ),
        "url_expires_at": fields.DateTime(
            required=True, description="When `url` stops working (ISO 8601, UTC)"
        ),
        "download_path": fields.String(
            required=True,
            description="Token-authenticated download (`downloadFile`); does not expire",
            example="/api/uploads/3f2a9c0e.png",
        ),
        "size": fields.Integer(required=True, description="Bytes"),
        "content_type": fields.String(required=True, example="image/png"),
        "sha256": fields.String(
            description="Hex SHA-256 of the content (absent for files stored before it was "
            "recorded)",
            example="9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        ),
        "created_at": fields.DateTime(required=True, description="ISO 8601, UTC"),
    },
)
upload_page_model = ns.add_model("UploadPage", page_model("UploadPage", upload_model))

direct_start_model = ns.model(
    "DirectUploadRequest",
    {
        "filename": fields.String(
            required=True, min_length=1, max_length=255, example="video-frames.zip"
        ),
        "size": fields.Integer(
            required=True, min=0, max=MAX_ID, description="Bytes you will send", example=52428800
        ),
    },
)
direct_ticket_model = ns.model(
    "DirectUploadTicket",
    {
        "url": fields.String(required=True, description="POST the file here (the object store)"),
        "fields": StringMap(
            required=True,
            description="Form fields to send first, as given, then the file as the field `file`",
        ),
        "expires_at": fields.DateTime(required=True, description="The POST is refused after"),
        "token": fields.String(
            required=True, description="Pass to `completeDirectUpload` once the POST succeeded"
        ),
    },
)
direct_complete_model = ns.model(
    "DirectUploadComplete",
    {"token": fields.String(required=True, min_length=1, max_length=2048)},
)

upload_parser = reqparse.RequestParser()
upload_parser.add_argument(
    "file", type=FileStorage, location="files", required=True, help="The file to upload"
)
link_parser = reqparse.RequestParser()
link_parser.add_argument(
    "expires", type=BoundedStr(12), location="args", help="Signed link: expiry (Unix time)"
)
link_parser.add_argument(
    "signature", type=BoundedStr(128), location="args", help="Signed link: its signature"
)
my_uploads_parser = _pagination_parser()
admin_uploads_parser = _pagination_parser()
admin_uploads_parser.add_argument(
    "owner_id", type=BoundedInt(1), location="args", help="Only this user's uploads"
)

UNAVAILABLE = "File storage is unavailable; retry after `Retry-After` seconds"


T = TypeVar("T")


def storage_errors(func: T) -> T:
    """Document the 503 an object-store outage gets (with `Retry-After`)."""
    return ns.response(503, UNAVAILABLE, error_model, headers=RETRY_AFTER)(func)


def _represent(upload: Upload) -> dict[str, Any]:
    return upload_service.represent(upload, settings.uploads())


@ns.route("/upload", endpoint="upload")
class UploadFile(Resource):
    @ns.doc(id="uploadFile")
    @ns.expect(upload_parser)
    @token_required(scopes=["uploads:write"])
    @idempotent
    @errors(400, 409, 413, 415, e415="File type not allowed, missing, or not what its content is")
    @storage_errors
    @returns(
        upload_model,
        code=201,
        description="Stored",
        headers=REPLAYED_HEADER,
        location="/api/upload/{id}",
    )
    def post(self) -> tuple[Any, int]:
        """Upload a file.

        Send `multipart/form-data` with the field `file`. Allowed types and the size limit are
        configurable (default: png, jpg, jpeg, gif, webp, pdf, txt, csv, json, zip; 16 MB).
        The content must match the extension (checked by its magic bytes; 415 otherwise).
        Each user has a quota of files and bytes (`UPLOAD_QUOTA_FILES`, `UPLOAD_QUOTA_MB`):
        an upload beyond it is 409 until some are deleted. The response's `url` is a
        short-lived signed link; a replay of an `Idempotency-Key` returns the original body.
        """
        files = request.files.getlist("file")
        if len(files) > 1:  # one upload is one file: never store the first and drop the rest
            raise validation_error({"file": "send one file per upload"}, "More than one file")
        upload = upload_service.save_upload(
            owner=current_user(), file=files[0] if files else None, settings=settings.uploads()
        )
        return _represent(upload), 201


@ns.route("/upload/direct")
class DirectUpload(Resource):
    @ns.doc(id="createDirectUpload")
    @token_required(scopes=["uploads:write"])
    @json_body(ns, direct_start_model)
    @errors(409, 413, 415, e409="Quota exceeded, or the server stores files locally")
    @returns(direct_ticket_model, description="A presigned POST to the object store")
    def post(self) -> Any:
        """Start a direct upload to the object store (large files).

        Returns a presigned POST: send `fields` and then the file (field `file`) as
        `multipart/form-data` to `url`, then call `completeDirectUpload` with `token`. The
        store refuses a file over the size limit or of another `Content-Type`. Needs the S3
        backend (409 otherwise); the type, size and quota rules of `uploadFile` apply.
        """
        body = ns.payload
        return direct_uploads.start(
            owner=current_user(),
            filename=body["filename"],
            size=body["size"],
            settings=settings.uploads(),
        )


@ns.route("/upload/direct/complete")
class DirectUploadComplete(Resource):
    @ns.doc(id="completeDirectUpload")
    @token_required(scopes=["uploads:write"])
    @json_body(ns, direct_complete_model)
    @errors(403, 409, 413, 415, e409="Nothing uploaded yet, quota exceeded, or local storage")
    @storage_errors
    @ns.response(200, "Already completed: the same upload", upload_model)
    @returns(
        upload_model, code=201, description="Checked and recorded", location="/api/upload/{id}"
    )
    def post(self) -> tuple[Any, int]:
        """Finish a direct upload.

        Checks what reached the store (size, content against the extension, quota), records
        its SHA-256, and returns the upload like `uploadFile`. A file that fails a check is
        deleted. Calling it again returns the same upload.
        """
        upload, created = direct_uploads.finalize(
            owner=current_user(), token=ns.payload["token"], settings=settings.uploads()
        )
        return _represent(upload), 201 if created else 200


@ns.route("/upload/<int:upload_id>")
@ns.param("upload_id", "Upload id", minimum=1, maximum=MAX_ID)
class UploadDetail(Resource):
    @ns.doc(id="getUpload")
    @token_required(scopes=["uploads:read"])
    @errors(403, 404)
    @returns(upload_model, description="The upload, with a fresh signed `url`")
    def get(self, upload_id: int) -> Any:
        """Get an upload's metadata and a fresh signed link.

        Owner or admin only.
        """
        return _represent(upload_service.get_manageable(upload_id, user=acting_user("admin:read")))

    @ns.doc(id="deleteUpload")
    @token_required(scopes=["uploads:write"])
    @errors(403, 404)
    @storage_errors
    @ns.response(204, "Deleted: the file and its record are gone, signed links stop working")
    def delete(self, upload_id: int) -> Response:
        """Delete an upload.

        Removes the stored file and its record (owner or admin; recorded in the audit log).
        """
        actor = acting_user("admin:write")
        upload = upload_service.get_manageable(upload_id, user=actor, deleting=True)
        upload_service.delete_upload(upload, actor=current_user())
        return Response(status=204)


@ns.route("/uploads/<int:upload_id>", doc=False)
class UploadDetailByUploadsPath(UploadDetail):
    """`/api/uploads/<id>` as SPEC.md names it, the same operations as `/api/upload/<id>`.

    Undocumented: OpenAPI forbids it beside `/api/uploads/{filename}` (downloadFile, a path
    partners already call), as two templated paths that differ only in their parameter. Werkzeug
    tries the integer converter first, and stored file names are never all digits.
    """


@ns.route("/me/uploads")
class MyUploads(Resource):
    @ns.doc(id="listMyUploads")
    @ns.expect(my_uploads_parser)
    @token_required(scopes=["uploads:read"])
    @errors(400, 414)
    @returns(
        upload_page_model,
        description="A page of the caller's uploads, newest first, each with a signed `url`",
        headers=PAGINATION_HEADERS,
    )
    def get(self) -> tuple[dict[str, Any], int, dict[str, str]]:
        """List my uploads.

        The caller's own uploads, newest first, paginated like the item lists.
        """
        args = my_uploads_parser.parse_args()
        return _page(upload_service.list_uploads(owner_id=current_user().id, **args))


def _page(page: Any) -> tuple[dict[str, Any], int, dict[str, str]]:
    body, status, headers = page_response(page)
    body["items"] = [_represent(upload) for upload in page.items]
    return body, status, headers


FILE_HEADERS = {
    "Content-Disposition": {
        "description": "`inline` for images, else `attachment`, with the original file name "
        '(e.g. `attachment; filename="report.pdf"`)',
        "type": "string",
    },
    "Content-Length": {"description": "The file's size in bytes", "type": "integer"},
}


@ns.route("/uploads/<string:filename>")
@ns.param("filename", "Stored file name, as in the upload's `download_path`")
class UploadedFile(Resource):
    @ns.doc(id="downloadFile")
    @ns.expect(link_parser)
    @ns.produces(["application/json", "application/octet-stream", "*/*"])
    @token_optional(scopes=["uploads:read"])
    @errors(403, 404, e403="Not yours, or a signed link that is tampered with or expired")
    @storage_errors
    @ns.response(200, "The file, with its stored content type", BinaryFile(), headers=FILE_HEADERS)
    def get(self, filename: str) -> Response:
        """Download an uploaded file.

        Either with a token (owner or admin) or with a signed link (`expires` and `signature`,
        as in an upload's `url`) and no token. Served with `X-Content-Type-Options: nosniff`.
        """
        args = request.args
        if "expires" in args or "signature" in args:
            upload = upload_service.get_for_signed_link(
                filename,
                expires=args.get("expires", ""),
                signature=args.get("signature", ""),
                secret=settings.uploads().secret,
            )
        elif (user := optional_acting_user("admin:read")) is None:
            if request.headers.get("Authorization"):  # a token without `uploads:read`: 403
                require_token_scopes(["uploads:read"])
            raise ApiError(401, "Authentication required (a token, or a signed link)")
        else:
            upload = upload_service.get_for_download(filename, user=user)
        return _file_response(upload)


def _file_response(upload: Any) -> Response:
    chunks = upload_service.open_content(upload)
    disposition = "inline" if upload.content_type.startswith("image/") else "attachment"
    response = Response(chunks, mimetype=upload.content_type, direct_passthrough=True)
    response.headers["Content-Length"] = str(upload.size)
    response.headers["Content-Disposition"] = f'{disposition}; filename="{upload.original_name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@admin_ns.route("/uploads")
class AdminUploads(Resource):
    @admin_ns.doc(id="adminListUploads")
    @admin_ns.expect(admin_uploads_parser)
    @admin_required
    @errors(400, 414)
    @returns(
        upload_page_model,
        description="A page of every user's uploads, newest first",
        headers=PAGINATION_HEADERS,
    )
    def get(self) -> tuple[dict[str, Any], int, dict[str, str]]:
        """List every user's uploads.

        Newest first; `owner_id` narrows to one user. Each has a signed `url`.
        """
        return _page(upload_service.list_uploads(**admin_uploads_parser.parse_args()))
