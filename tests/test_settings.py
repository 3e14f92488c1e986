"""Settings: defaults, parsing, and one clear line (never the token) for a bad value."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
ENV_KEYS = (
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_API_BASE_URL",
    "DATABASE_URL",
    "AKSI_DEFAULT_TIMEZONE",
    "AKSI_DEFAULT_LANGUAGE",
    "AKSI_ADMIN_IDS",
    "WHATSAPP_PHONE_NUMBER_ID",
    "WHATSAPP_ACCESS_TOKEN",
    "WHATSAPP_APP_SECRET",
    "WHATSAPP_VERIFY_TOKEN",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in ENV_KEYS:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env of the developer's


def test_defaults() -> None:
    s = load_settings()
    assert s.token == ""
    assert s.telegram_api_base_url == "https://api.telegram.org/bot"
    assert s.database_url == "sqlite+aiosqlite:///aksi.db"
    assert s.aksi_default_timezone == "Asia/Makassar"
    assert s.aksi_default_language == "id"
    assert s.aksi_admin_ids == ()


def test_env_file_and_admin_ids(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        f"TELEGRAM_BOT_TOKEN={TOKEN}\nAKSI_ADMIN_IDS=12345, 678\nAKSI_DEFAULT_LANGUAGE=en\n"
    )
    s = load_settings()
    assert s.token == TOKEN
    assert s.aksi_admin_ids == (12345, 678)
    assert s.aksi_default_language == "en"
    assert TOKEN not in repr(s)


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        (
            "AKSI_DEFAULT_TIMEZONE",
            "Asia/Bogus",
            "AKSI_DEFAULT_TIMEZONE: 'Asia/Bogus' is not a known",
        ),
        ("AKSI_DEFAULT_LANGUAGE", "fr", "AKSI_DEFAULT_LANGUAGE: 'fr' is not one of id, en"),
        ("AKSI_ADMIN_IDS", "12,abc", "AKSI_ADMIN_IDS: 'abc' is not a Telegram user id"),
        ("DATABASE_URL", "mysql://x/y", "DATABASE_URL: driver 'mysql' is not supported"),
        ("DATABASE_URL", "nonsense", "DATABASE_URL: 'nonsense' is not a database URL"),
        ("TELEGRAM_API_BASE_URL", "ftp://x", "TELEGRAM_API_BASE_URL: 'ftp://x' is not an http(s)"),
        ("TELEGRAM_BOT_TOKEN", "not-a-token", "TELEGRAM_BOT_TOKEN: does not look like"),
        ("WHATSAPP_PHONE_NUMBER_ID", "10654-abc", "WHATSAPP_PHONE_NUMBER_ID: '10654-abc' is not a"),
        (
            "WHATSAPP_DISPLAY_NUMBER",
            "0812 xx",
            "WHATSAPP_DISPLAY_NUMBER: '0812 xx' is not a number",
        ),
        ("WHATSAPP_API_BASE_URL", "graph.local", "WHATSAPP_API_BASE_URL: 'graph.local' is not an"),
        ("WHATSAPP_ACCESS_TOKEN", "has space", "WHATSAPP_ACCESS_TOKEN: must be 8-1024 printable"),
        (
            "WHATSAPP_PHONE_NUMBER_ID",
            "106540352242922",
            "WhatsApp is half configured: set WHATSAPP_ACCESS_TOKEN, WHATSAPP_APP_SECRET, "
            "WHATSAPP_VERIFY_TOKEN, WHATSAPP_DISPLAY_NUMBER too",
        ),
    ],
)
def test_bad_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, key: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(key, value)
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert str(error.value).startswith(expected)
    assert "\n" not in str(error.value)
    if key == "WHATSAPP_ACCESS_TOKEN":
        assert value not in str(error.value)  # a secret is never echoed


def test_whatsapp_is_on_with_its_five_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not load_settings().whatsapp_enabled
    for key, value in (
        ("WHATSAPP_PHONE_NUMBER_ID", "+106540352242922"),
        ("WHATSAPP_ACCESS_TOKEN", "EAAG-token-1"),
        ("WHATSAPP_APP_SECRET", "app-secret-1"),
        ("WHATSAPP_VERIFY_TOKEN", "verify-token-1"),
        ("WHATSAPP_DISPLAY_NUMBER", "+6281100000000"),  # the wa.me links' number
    ):
        monkeypatch.setenv(key, value)
    s = load_settings()
    assert s.whatsapp_enabled and s.whatsapp_phone_number_id == "106540352242922"
    assert "EAAG-token-1" not in repr(s) and "app-secret-1" not in repr(s)


def test_cli_bad_setting_exits_2_with_one_line_and_no_token(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ENV_KEYS}
    env["TELEGRAM_BOT_TOKEN"] = TOKEN[:12] + " leaked?"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "cohort", "list"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "aksi: configuration error: TELEGRAM_BOT_TOKEN: does not look like a "
        "BotFather token (digits, ':', then 20+ characters)"
    ]
    assert TOKEN[:12] not in result.stderr and "Traceback" not in result.stderr


def test_whatsapp_needs_the_number_its_links_open(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WHATSAPP_DISPLAY_NUMBER", "6281100000000")
    alone = load_settings()  # enough for `aksi participants links --whatsapp`
    assert not alone.whatsapp_enabled and alone.whatsapp_display_number == "6281100000000"
    monkeypatch.delenv("WHATSAPP_DISPLAY_NUMBER")
    for key, value in (
        ("WHATSAPP_PHONE_NUMBER_ID", "106540352242922"),
        ("WHATSAPP_ACCESS_TOKEN", "EAAG-token-1"),
        ("WHATSAPP_APP_SECRET", "app-secret-1"),
        ("WHATSAPP_VERIFY_TOKEN", "verify-token-1"),
    ):
        monkeypatch.setenv(key, value)
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert str(error.value) == "WhatsApp is half configured: set WHATSAPP_DISPLAY_NUMBER too"
