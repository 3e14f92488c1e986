"""The announcement's state machine (core.announcements), without a chat: which button works in
which state, and what each step changes. Hostile: a press out of order changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core import announcements as ann
from core.errors import InvalidInput
from storage.models import Announcement

NOW = datetime(2021, 9, 3, 1, 0, tzinfo=UTC)
ALL_STATES = ("compose", "preview", "time", "scheduled", "sending", "done", "cancelled")


def draft(state: str = "compose") -> Announcement:
    return Announcement(
        cohort_id=1,
        author_id=5001,
        author_contact_id=5001,
        author_language="id",
        state=state,
        audience="all",
    )


@pytest.mark.parametrize("state", ALL_STATES)
def test_each_button_works_only_in_its_states(state: str) -> None:
    a = draft(state)
    works = {action for action in ann.PRESSES if ann.may_press(a, action)}
    expected = {
        "compose": {"cancel", "edit"},
        "preview": {"cancel", "edit", "aud", "time", "send"},
        "time": {"cancel", "edit", "back"},
    }.get(state, set())
    assert works == expected
    assert not ann.may_press(a, "forged")


def test_text_time_back_and_send_in_order() -> None:
    a = draft()
    ann.set_body(a, "<b>Rapat</b> besok", 11)
    assert a.state == "preview"
    ann.to_time(a)
    assert a.state == "time"
    ann.set_send_time(a, "2021-09-04 07:00", "Asia/Makassar", NOW)
    assert a.state == "preview" and a.send_at == datetime(2021, 9, 3, 23, 0, tzinfo=UTC)
    ann.to_time(a)
    ann.back_to_preview(a)
    assert a.state == "preview" and a.send_at is None
    ann.confirm(a, NOW)
    assert a.state == "scheduled" and a.send_at == NOW


def test_steps_out_of_order_are_refused_and_change_nothing() -> None:
    a = draft()
    with pytest.raises(InvalidInput):
        ann.back_to_preview(a)  # "back" before any text
    with pytest.raises(InvalidInput):
        ann.to_time(a)
    with pytest.raises(InvalidInput):
        ann.set_send_time(a, "07:00", "Asia/Makassar", NOW)
    with pytest.raises(InvalidInput):
        ann.confirm(a, NOW)
    assert a.state == "compose" and a.send_at is None and a.body is None
    ann.set_body(a, "Halo", 4)
    ann.to_time(a)
    with pytest.raises(InvalidInput):
        ann.set_send_time(a, "25:00", "Asia/Makassar", NOW)
    assert a.state == "time" and a.send_at is None  # still waiting for a time


def test_a_revoked_author_loses_the_draft() -> None:
    a = draft("preview")
    ann.revoke(a)
    assert a.state == "cancelled"
    assert not any(ann.may_press(a, action) for action in ann.PRESSES)
