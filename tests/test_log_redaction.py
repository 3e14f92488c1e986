"""The bot token never reaches the log: not in a message, not in a logged traceback (an error
whose text carries a Bot API URL), as `aksi run` sets logging up (`bot.logs.setup_logging`)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from telegram.error import NetworkError

from bot.logs import setup_logging

TOKEN = "123456789:AAStandInTokenForRedactionTests_xyz"
URL = f"https://api.telegram.org/bot{TOKEN}/getUpdates"


@contextmanager
def logging_as_aksi_run(*others: str, form: str = "text") -> Iterator[io.StringIO]:
    """What `setup_logging` writes, read from a buffer; the logging set-up restored after (in
    the same test phase: pytest's own handlers come back as it left them)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    quieted = {n: logging.getLogger(n).level for n in ("httpx", "httpcore", "apscheduler")}
    setup_logging("INFO", TOKEN, *others, form=form)
    try:
        [ours] = [h for h in root.handlers if h not in handlers]
        assert isinstance(ours, logging.StreamHandler)
        buffer = io.StringIO()
        ours.setStream(buffer)
        yield buffer
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, was in quieted.items():
            logging.getLogger(name).setLevel(was)


def fail_with_the_url() -> None:
    try:
        raise OSError(f"cannot connect to {URL}")
    except OSError as exc:
        raise NetworkError(f"httpx.ConnectError: {URL}") from exc


@pytest.mark.expected_errors  # logged to the error handlers' loggers on purpose
def test_a_logged_traceback_shows_the_token_redacted() -> None:
    with logging_as_aksi_run() as output:
        try:
            fail_with_the_url()
        except NetworkError as exc:
            # As bot.errors.on_error and bot.engine log what a feature raised.
            logging.getLogger("handlers.fallback").error("error while handling", exc_info=exc)
            logging.getLogger("aksi.engine").exception("error while handling %s", "Press")
    written = output.getvalue()
    assert TOKEN not in written
    assert "handlers.fallback: error while handling\n" in written
    assert "aksi.engine: error while handling Press\n" in written
    # The traceback is still there, each URL with its token replaced.
    assert "Traceback (most recent call last)" in written
    assert "The above exception was the direct cause of the following exception" in written
    assert "NetworkError: httpx.ConnectError: https://api.telegram.org/bot<token>/getUp" in written
    assert written.count("https://api.telegram.org/bot<token>/getUpdates") == 4


def test_a_message_shows_the_token_redacted() -> None:
    with logging_as_aksi_run() as output:
        logging.getLogger("httpx").warning("HTTP Request: POST %s failed", URL)
        logging.getLogger("bot").info("polling " + URL)
    written = output.getvalue()
    assert TOKEN not in written
    assert written.count("https://api.telegram.org/bot<token>/getUpdates") == 2


WEBHOOK_SECRET = "webhook-secret-for-redaction-tests"


@pytest.mark.expected_errors
def test_json_lines_keep_the_token_and_the_webhook_secret_out() -> None:
    """AKSI_LOG_FORMAT=json: one JSON object a line, secrets redacted in the message and in the
    traceback alike."""
    with logging_as_aksi_run(WEBHOOK_SECRET, form="json") as output:
        logging.getLogger("aksi.web").warning("posted with %s", WEBHOOK_SECRET)
        try:
            fail_with_the_url()
        except NetworkError as exc:
            logging.getLogger("aksi.engine").error("error while handling", exc_info=exc)
        try:
            raise ValueError("plain failure")
        except ValueError as exc:
            logging.getLogger("aksi").error("no secret here", exc_info=exc)
    written = output.getvalue()
    assert TOKEN not in written and WEBHOOK_SECRET not in written
    entries = [json.loads(line) for line in written.splitlines()]
    assert [e["logger"] for e in entries] == ["aksi.web", "aksi.engine", "aksi"]
    assert entries[0]["message"] == "posted with <secret>"
    assert entries[0]["level"] == "WARNING" and entries[0]["time"].endswith("+00:00")
    assert "<token>" in entries[1]["message"]  # the redacted traceback, kept
    assert "ValueError: plain failure" in entries[2]["traceback"]
