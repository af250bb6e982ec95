"""Domain errors raised by services. Views and APIs turn them into 400/403/409 responses."""


class DomainError(Exception):
    """Base class: the message is written for the person who tried the action."""


class NotAllowed(DomainError):
    """The acting user may not do this (maps to 403)."""


class InvalidTransition(DomainError):
    """The object is not in a state that allows this action (maps to 409)."""


class ValidationFailed(DomainError):
    """The input is not acceptable. `problems` maps a field or item id to its messages."""

    def __init__(self, message: str, problems: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.problems = problems or {}


class StaleEdit(DomainError):
    """Someone else saved the object since the editor loaded it (maps to 409)."""


class UploadRefused(DomainError):
    """An evidence upload was refused: too large, not a document, or a dangerous name."""


class FrozenFramework(DomainError):
    """A framework version used by a report cannot change; publish a new version instead."""


class TooManyAttempts(DomainError):
    """Refused for now because of too many recent failures (maps to 429 with Retry-After)."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class StorageFailed(UploadRefused):
    """An acceptable upload could not be stored (storage unreachable or full); nothing was saved."""
