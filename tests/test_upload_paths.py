"""`GET`/`DELETE /api/uploads/<id>`, the paths SPEC.md names, answer like the documented
`/api/upload/<id>` (see api/namespaces/uploads.py for why the spec lists only the latter), and
never shadow the download of a stored file name."""

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Account
from tests.test_security import upload_file


def test_spec_paths_for_one_upload_work_like_the_documented_ones(
    app: Flask, user: Account, other_user: Account
) -> None:
    raw = FlaskClient(app, app.response_class)  # the alias is not in openapi.json
    stored = upload_file(app.test_client(), user, b"hello alias", "alias.txt").get_json()

    metadata = raw.get(f"/api/uploads/{stored['id']}", headers=user.headers)
    assert metadata.status_code == 200, metadata.get_json()
    documented = raw.get(f"/api/upload/{stored['id']}", headers=user.headers).get_json()
    assert {k: v for k, v in metadata.get_json().items() if k not in ("url", "url_expires_at")} == {
        k: v for k, v in documented.items() if k not in ("url", "url_expires_at")
    }
    assert raw.get(f"/api/uploads/{stored['id']}", headers=other_user.headers).status_code == 403

    name = stored["download_path"].rsplit("/", 1)[-1]
    download = raw.get(f"/api/uploads/{name}", headers=user.headers)
    assert download.status_code == 200 and download.data == b"hello alias"

    assert raw.delete(f"/api/uploads/{stored['id']}", headers=user.headers).status_code == 204
    assert raw.get(f"/api/upload/{stored['id']}", headers=user.headers).status_code == 404
