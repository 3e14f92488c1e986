"""Logging set-up: one line a record, and the bot token (and webhook secret) never written
anywhere."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime


class RedactToken(logging.Filter):
    """Replace the token in any record (HTTP client URLs carry it) with a placeholder."""

    def __init__(self, secret: str, placeholder: str = "<token>") -> None:
        super().__init__()
        self.secret = secret
        self.placeholder = placeholder

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secret:
            return True
        message = record.getMessage()
        if self.secret in message:
            record.msg = message.replace(self.secret, self.placeholder)
            record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            if self.secret in text:
                record.exc_text = text.replace(self.secret, self.placeholder)
                record.exc_info = None
                record.msg = f"{record.msg}\n{record.exc_text}"
                record.exc_text = None
        return True


class JsonLines(logging.Formatter):
    """One JSON object a line (AKSI_LOG_FORMAT=json), for a log collector: time (UTC, ISO
    8601), level, logger, message, and the traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["traceback"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(level: str, secret: str, *others: str, form: str = "text") -> None:
    """One line a record on stderr (`form`: "text" or "json"); `secret` (the bot token) and
    any `others` (the webhook's secret) never written."""
    handler = logging.StreamHandler()
    if form == "json":
        handler.setFormatter(JsonLines())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactToken(secret))
    for other in others:
        handler.addFilter(RedactToken(other, "<secret>"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs every request URL at INFO, and the URL contains the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
