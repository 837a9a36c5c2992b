"""Domain errors that services raise and pages turn into clear messages."""

from __future__ import annotations


class DomainError(Exception):
    """Base class: ``str(error)`` is a message fit to show the officer."""


class NotAuthenticated(DomainError):
    """No valid signed-in session."""


class NotAllowed(DomainError):
    """Signed in, but this officer may not do this (to this row)."""


class NotFound(DomainError):
    pass


class Conflict(DomainError):
    """The item changed meanwhile (already decided, claimed by someone else, ...)."""


class InvalidInput(DomainError):
    pass
