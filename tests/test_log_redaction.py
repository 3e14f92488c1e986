"""The bot token never reaches the log: not in a message, not in a logged traceback (an error
whose text carries a Bot API URL), as `aksi run` sets logging up (`bot.logs.setup_logging`)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from telegram.error import NetworkError

from bot.logs import setup_logging

TOKEN = "123456789:AAStandInTokenForRedactionTests_xyz"
URL = f"https://api.telegram.org/bot{TOKEN}/getUpdates"


@contextmanager
def logging_as_aksi_run() -> Iterator[io.StringIO]:
    """What `setup_logging` writes, read from a buffer; the logging set-up restored after (in
    the same test phase: pytest's own handlers come back as it left them)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    quieted = {n: logging.getLogger(n).level for n in ("httpx", "httpcore", "apscheduler")}
    setup_logging("INFO", TOKEN)
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
