"""`GET`/`DELETE /api/uploads/<id>`, the paths SPEC.md names, answer like the documented
`/api/upload/<id>` (see api/namespaces/uploads.py for why the spec lists only the latter), and
never shadow the download of a stored file name."""

from flask.testing import FlaskClient

from tests.helpers import Account, stored_name, uploaded


def test_spec_paths_for_one_upload_work_like_the_documented_ones(
    client: FlaskClient, raw_client: FlaskClient, user: Account, other_user: Account
) -> None:
    raw = raw_client  # the alias is not in openapi.json
    stored = uploaded(client, user, b"hello alias", "alias.txt")

    metadata = raw.get(f"/api/uploads/{stored['id']}", headers=user.headers)
    assert metadata.status_code == 200, metadata.get_json()
    documented = raw.get(f"/api/upload/{stored['id']}", headers=user.headers).get_json()
    assert {k: v for k, v in metadata.get_json().items() if k not in ("url", "url_expires_at")} == {
        k: v for k, v in documented.items() if k not in ("url", "url_expires_at")
    }
    assert raw.get(f"/api/uploads/{stored['id']}", headers=other_user.headers).status_code == 403

    name = stored_name(stored)
    download = raw.get(f"/api/uploads/{name}", headers=user.headers)
    assert download.status_code == 200 and download.data == b"hello alias"

    assert raw.delete(f"/api/uploads/{stored['id']}", headers=user.headers).status_code == 204
    assert raw.get(f"/api/upload/{stored['id']}", headers=user.headers).status_code == 404
