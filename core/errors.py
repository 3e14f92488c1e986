"""Errors a use-case raises for the caller to turn into a clear message."""

from __future__ import annotations


class AksiError(Exception):
    """Something the user asked cannot be done; the message says why."""


class NotFound(AksiError):
    pass


class InvalidInput(AksiError):
    pass


class TooLong(InvalidInput):
    """Typed text over the limit of the field it answers (`field` names it for the answer:
    `too_long.<field>` in the catalogs). Its text stays `too_long:<limit>`."""

    def __init__(self, field: str, limit: int, length: int) -> None:
        super().__init__(f"too_long:{limit}")
        self.field, self.limit, self.length = field, limit, length
