"""Errors a use-case raises for the caller to turn into a clear message."""

from __future__ import annotations


class AksiError(Exception):
    """Something the user asked cannot be done; the message says why."""


class NotFound(AksiError):
    pass


class InvalidInput(AksiError):
    pass
