"""The settings a service needs, read from the running app for one call (tests may change
`app.config` after start, so nothing is kept)."""

from flask import current_app

from api.core.config import AuthSettings, UploadSettings, WebhookSettings


def auth() -> AuthSettings:
    return AuthSettings.of(current_app.config)


def uploads() -> UploadSettings:
    return UploadSettings.of(current_app.config)


def webhooks() -> WebhookSettings:
    return WebhookSettings.of(current_app.config)
