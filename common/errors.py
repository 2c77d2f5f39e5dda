"""Domain errors: one base class with a message a person can act on."""


class PortalError(Exception):
    """Base of the portal's domain errors; ``str(error)`` is a translated, user-facing message."""

    def __init__(self, message, *, code: str = "error"):
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self):
        return str(self.message)


class StateError(PortalError):
    """The record is not in a state that allows the action (e.g. editing an accepted assessment)."""
