"""What a service refuses, in the domain's words. The services know nothing of HTTP:
`api/http/errors.py` maps each kind to one status (`STATUS_OF`)."""


class ServiceError(Exception):
    """A refusal with a message for people and optional reasons per input field."""

    def __init__(self, message: str, *, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors


class Invalid(ServiceError):
    """The input breaks a rule; `errors` says which field and why."""

    def __init__(self, errors: dict[str, str], message: str = "Validation failed") -> None:
        super().__init__(message, errors=errors)


class WrongCurrentPassword(Invalid):
    """The current password given to change it is wrong (counted like a failed login)."""


class NotAuthenticated(ServiceError):
    """Credentials or a token that prove nothing (wrong, expired, revoked)."""


class Forbidden(ServiceError):
    """The caller is known but may not do this."""


class NotFound(ServiceError):
    """Nothing the caller may see has this id."""


class Conflict(ServiceError):
    """The request contradicts the current state (taken names, quotas, the last admin)."""


class TooLarge(ServiceError):
    """The content is bigger than the configured limit."""


class UnsupportedType(ServiceError):
    """The content is of a type this service does not accept."""


class Unavailable(ServiceError):
    """A dependency (file storage) cannot be reached; the same request may succeed later."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
