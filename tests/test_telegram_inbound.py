"""Telegram's side of the engine: an update becomes the contract's event once, however many
handler groups it passes (the before-everything group, then its feature)."""

from __future__ import annotations

import pytest

import bot.channels.telegram_inbound as telegram_inbound
from core.channel import Inbound
from tests.harness import RunningBot, joined

pytestmark = pytest.mark.channels("telegram")


async def test_an_update_is_read_once_for_all_its_handler_groups(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    read: list[Inbound] = []
    original = telegram_inbound.inbound_of

    def counting(update: object) -> Inbound:
        event = original(update)  # type: ignore[arg-type]
        read.append(event)
        return event

    monkeypatch.setattr(telegram_inbound, "inbound_of", counting)
    budi = bot.person(1001, "Budi")
    assert "kode angkatan" in joined(await budi.send("/jadwal"))  # arrival, then the feature
    assert len(read) == 1
    assert "kode angkatan" in joined(await budi.send("/materi"))  # a new update: read anew
    assert len(read) == 2
