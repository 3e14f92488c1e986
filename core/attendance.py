"""Attendance per session (*presensi*): each session has a window — from `attendance_before`
minutes before its start to `attendance_after` minutes after it (the cohort's, 15 and 30 by
default, or the session's own) — during which a participant records themself present (a button
on the session reminder, or /hadir). After the window they can ask for an excuse (*izin* or
*sakit*, with a reason) that a facilitator of the cohort accepts or refuses; facilitators can
also mark anyone present or excused by hand (from the video conference's list). One row per
participant and session (`storage.training.Attendance`); no row is absent.

Instants are UTC; the windows are instants, so every zone sees the same one."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import InvalidInput
from core.participants import stale_or_left
from core.staff import can_manage
from storage.db import insert_once
from storage.models import Cohort, Participant, Session
from storage.training import Attendance

EXCUSE_DAYS = 7  # how long after a session's window an excuse can still be asked for
REASON_MIN, REASON_MAX = 3, 300  # characters of an excuse's reason
KINDS = ("izin", "sakit")  # leave (with permission), sick


class State(StrEnum):
    PRESENT = "present"
    WRITING = "writing"  # an excuse whose reason is being typed
    ASKED = "asked"  # an excuse waiting for a facilitator
    EXCUSED = "excused"
    REFUSED = "refused"  # the excuse refused: absent


def window(s: Session, cohort: Cohort) -> tuple[datetime, datetime]:
    """When attendance can be recorded for `s`: its own minutes, else the cohort's."""
    before = s.attendance_before if s.attendance_before is not None else cohort.attendance_before
    after = s.attendance_after if s.attendance_after is not None else cohort.attendance_after
    return s.starts_at - timedelta(minutes=before), s.starts_at + timedelta(minutes=after)


async def sessions_of(session: AsyncSession, cohort_id: int) -> list[Session]:
    return list(
        await session.scalars(
            select(Session).where(Session.cohort_id == cohort_id).order_by(Session.starts_at)
        )
    )


async def open_now(
    session: AsyncSession, participant: Participant, now: datetime
) -> Session | None:
    """The session of the participant's cohort whose window is open at `now`: when two
    overlap, the first they are not recorded present at yet."""
    cohort = participant.cohort
    found = [s for s in await sessions_of(session, cohort.id) if _open(s, cohort, now)]
    if len(found) > 1:
        present = {
            r.session_id
            for r in await rows_of(session, [s.id for s in found])
            if r.participant_id == participant.id and r.state == State.PRESENT
        }
        return next((s for s in found if s.id not in present), found[0])
    return found[0] if found else None


def _open(s: Session, cohort: Cohort, now: datetime) -> bool:
    opens, closes = window(s, cohort)
    return opens <= now <= closes


async def next_window(session: AsyncSession, cohort: Cohort, now: datetime) -> Session | None:
    """The next session whose window has not opened yet."""
    for s in await sessions_of(session, cohort.id):
        if window(s, cohort)[0] > now:
            return s
    return None


def held(sessions: list[Session], cohort: Cohort, now: datetime) -> list[Session]:
    """The sessions whose window has closed by `now`: those attendance is counted for."""
    return [s for s in sessions if window(s, cohort)[1] < now]


async def row_of(
    session: AsyncSession, session_id: int, participant_id: int, *, lock: bool = False
) -> Attendance | None:
    query = select(Attendance).where(
        Attendance.session_id == session_id, Attendance.participant_id == participant_id
    )
    if lock:  # two writers at once (a press and a facilitator's mark): one waits (PostgreSQL)
        query = query.with_for_update()
    return await session.scalar(query)


async def _created_or_locked(
    session: AsyncSession, session_id: int, participant_id: int, **values: object
) -> tuple[Attendance, bool]:
    """Insert the row with `values` unless it exists (of two racing, one inserts; the other
    does not fail on the unique key), then read it locked; True when this call created it."""
    created = await insert_once(
        session, Attendance, session_id=session_id, participant_id=participant_id, **values
    )
    row = await row_of(session, session_id, participant_id, lock=True)
    assert row is not None
    return row, created


@dataclass(frozen=True)
class Recorded:
    row: Attendance
    unchanged: bool  # already recorded present


async def check_in(
    session: AsyncSession, participant: Participant, s: Session, now: datetime
) -> Recorded:
    """The participant records themself present at `s`, inside its window (InvalidInput:
    `attendance.not_open` before it, `attendance.closed` after it, `button.stale` for another
    cohort's session, `cohort.left` for one of a cohort they moved away from). An excuse asked
    for the same session gives way: they came."""
    if s.cohort_id != participant.cohort_id:
        raise InvalidInput(await stale_or_left(session, participant, s.cohort_id))
    opens, closes = window(s, participant.cohort)
    if now < opens:
        raise InvalidInput("attendance.not_open")
    if now > closes:
        raise InvalidInput("attendance.closed")
    row, created = await _created_or_locked(
        session, s.id, participant.id, state=State.PRESENT, source="self", recorded_at=now
    )
    if created:
        return Recorded(row, False)
    if row.state == State.PRESENT:
        return Recorded(row, True)
    row.state, row.source, row.recorded_at = State.PRESENT, "self", now
    row.kind = row.reason = None
    row.decided_by = row.decided_at = None
    await session.flush()
    return Recorded(row, False)


async def excusable(
    session: AsyncSession, participant: Participant, now: datetime
) -> list[Session]:
    """The sessions the participant can still ask an excuse for: their window closed within
    EXCUSE_DAYS (and after they joined), and nothing (or an unfinished excuse) is recorded."""
    cohort = participant.cohort
    rows = {
        r.session_id: r
        for r in await session.scalars(
            select(Attendance).where(Attendance.participant_id == participant.id)
        )
    }
    found = []
    for s in await sessions_of(session, cohort.id):
        closes = window(s, cohort)[1]
        if not closes < now <= closes + timedelta(days=EXCUSE_DAYS) or closes < joined(participant):
            continue
        row = rows.get(s.id)
        if row is None or row.state == State.WRITING:  # a refused excuse is not asked again
            found.append(s)
    return found


async def start_excuse(
    session: AsyncSession, participant: Participant, session_id: int, kind: str, now: datetime
) -> Attendance:
    """An excuse of `kind` for one of `excusable`'s sessions, its reason to be typed next."""
    if kind not in KINDS:
        raise InvalidInput("button.stale")
    if session_id not in {s.id for s in await excusable(session, participant, now)}:
        raise InvalidInput("attendance.no_excuse")
    row, _ = await _created_or_locked(
        session, session_id, participant.id, state=State.WRITING, source="self", kind=kind,
        recorded_at=now,
    )  # fmt: skip
    if row.state not in (State.WRITING,):  # recorded meanwhile (a facilitator's mark)
        raise InvalidInput("attendance.no_excuse")
    row.kind, row.reason, row.recorded_at = kind, None, now
    await session.flush()
    return row


async def discard_writing(session: AsyncSession, participant_id: int) -> bool:
    """/batal while an excuse's reason is being typed: the unfinished excuse goes."""
    result = await session.execute(
        delete(Attendance).where(
            Attendance.participant_id == participant_id, Attendance.state == State.WRITING
        )
    )
    return bool(getattr(result, "rowcount", 0))


def finish_excuse(row: Attendance, typed: str, now: datetime) -> None:
    """The reason typed: the excuse now waits for a facilitator."""
    if row.state != State.WRITING:
        raise InvalidInput("button.stale")
    reason = " ".join(typed.split())
    if not REASON_MIN <= len(reason) <= REASON_MAX:
        raise InvalidInput("attendance.reason_length")
    row.reason, row.state, row.recorded_at = reason, State.ASKED, now


async def writing(session: AsyncSession, participant_id: int, row_id: int) -> Attendance | None:
    """The participant's own excuse being written, by its id (anything else: None)."""
    return await session.scalar(
        select(Attendance).where(
            Attendance.id == row_id,
            Attendance.participant_id == participant_id,
            Attendance.state == State.WRITING,
        )
    )


@dataclass(frozen=True)
class Decided:
    row: Attendance
    participant: Participant
    session: Session


async def decide(
    session: AsyncSession, person_id: int, admin: bool, row_id: int, accept: bool, now: datetime
) -> Decided | None:
    """A facilitator of the session's cohort accepts or refuses an excuse waiting for one; None
    for anybody else, an excuse already decided, or a made-up id."""
    found = (
        await session.execute(
            select(Attendance, Participant, Session)
            .join(Participant, Participant.id == Attendance.participant_id)
            .join(Session, Session.id == Attendance.session_id)
            .where(Attendance.id == row_id)
            .with_for_update(of=Attendance)
        )
    ).first()
    if found is None:
        return None
    row, participant, s = found
    if row.state != State.ASKED or not await can_manage(session, person_id, s.cohort_id, admin):
        return None
    row.state = State.EXCUSED if accept else State.REFUSED
    row.decided_by, row.decided_at = person_id, now
    return Decided(row, participant, s)


WAITING = (State.WRITING, State.ASKED)  # an excuse of the participant's own, not decided yet


async def mark(
    session: AsyncSession,
    person_id: int,
    admin: bool,
    session_id: int,
    participant_id: int,
    target: State | None,
    now: datetime,
) -> bool:
    """A facilitator sets a participant's attendance at a session to `target`: present,
    excused, or nothing recorded (None) — the state the button named, so a double tap or two
    facilitators at once set it once. False when the person may not (not staff of that cohort,
    or the participant is not of it): nothing changed. InvalidInput `attendance.excuse_waiting`
    when the participant's own excuse waits (decide it first)."""
    s = await session.get(Session, session_id)
    participant = await session.get(Participant, participant_id)
    if (
        s is None
        or participant is None
        or participant.cohort_id != s.cohort_id
        or target not in (State.PRESENT, State.EXCUSED, None)
        or not await can_manage(session, person_id, s.cohort_id, admin)
    ):
        return False
    if target is None:
        row = await row_of(session, session_id, participant_id, lock=True)
        if row is not None:
            if row.state in WAITING:
                raise InvalidInput("attendance.excuse_waiting")
            await session.delete(row)
        return True
    row, created = await _created_or_locked(
        session, session_id, participant_id, state=target, source="facilitator",
        recorded_at=now, decided_by=person_id, decided_at=now,
    )  # fmt: skip
    if not created:
        if row.state in WAITING:
            raise InvalidInput("attendance.excuse_waiting")
        row.state, row.source, row.recorded_at = target, "facilitator", now
        row.decided_by, row.decided_at = person_id, now
        if target == State.PRESENT:
            row.kind = row.reason = None
    return True


def joined(participant: Participant) -> datetime:
    """When the participant joined: sessions that closed before do not count for them."""
    return participant.joined_at


async def rows_of(session: AsyncSession, session_ids: Collection[int]) -> list[Attendance]:
    if not session_ids:
        return []
    return list(
        await session.scalars(select(Attendance).where(Attendance.session_id.in_(session_ids)))
    )


@dataclass(frozen=True)
class Tally:
    present: int
    excused: int
    held: int  # sessions whose window has closed

    @property
    def rate(self) -> float | None:
        return self.present / self.held if self.held else None


async def tallies(
    session: AsyncSession, cohort: Cohort, participants: Collection[Participant], now: datetime
) -> dict[int, Tally]:
    """Each participant's attendance of the cohort's sessions held by `now` — those that closed
    after they joined, or where something is recorded for them (one query: the sessions with
    these participants' rows)."""
    ids = [p.id for p in participants]
    found = await session.execute(
        select(Session, Attendance.participant_id, Attendance.state)
        .outerjoin(
            Attendance,
            (Attendance.session_id == Session.id) & Attendance.participant_id.in_(ids),
        )
        .where(Session.cohort_id == cohort.id)
    )
    closes: dict[int, datetime] = {}
    states: dict[tuple[int, int], str] = {}
    for s, participant_id, state in found.all():
        end = window(s, cohort)[1]
        if end >= now:
            continue  # not held yet
        closes[s.id] = end
        if participant_id is not None:
            states[(participant_id, s.id)] = state
    tallies_: dict[int, Tally] = {}
    for p in participants:
        held_for = [sid for sid, end in closes.items() if end >= joined(p) or (p.id, sid) in states]
        marks = [states.get((p.id, sid)) for sid in held_for]
        tallies_[p.id] = Tally(
            marks.count(State.PRESENT), marks.count(State.EXCUSED), len(held_for)
        )
    return tallies_


async def waiting_excuses(session: AsyncSession, cohort_id: int) -> list[Attendance]:
    """The excuses waiting for a facilitator of the cohort, oldest first."""
    return list(
        await session.scalars(
            select(Attendance)
            .join(Session, Session.id == Attendance.session_id)
            .where(Session.cohort_id == cohort_id, Attendance.state == State.ASKED)
            .order_by(Attendance.recorded_at, Attendance.id)
        )
    )


async def attendance_of(
    session: AsyncSession, participant: Participant, now: datetime
) -> list[tuple[Session, Attendance | None]]:
    """The participant's cohort's sessions held (their window closed), or with something
    recorded, with their attendance row (None: absent), by start (for /dataku)."""
    cohort = participant.cohort
    rows = {
        r.session_id: r
        for r in await session.scalars(
            select(Attendance).where(Attendance.participant_id == participant.id)
        )
    }
    return [
        (s, rows.get(s.id))
        for s in await sessions_of(session, cohort.id)
        if window(s, cohort)[1] < now or s.id in rows  # held, or something recorded
    ]
