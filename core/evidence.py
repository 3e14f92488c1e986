"""Evidence (*bukti*): the photos and documents a participant sends to show a check-in day or a
milestone was done (LAN's rules: each activity has its evidence).

A file is taken when it is an image, a PDF or an office document of at most `MAX_BYTES`; it is
fetched once to learn its true size and its SHA-256 (the same file twice is kept once), and
then left with the channel: the row keeps the channel's reference to fetch it again. It goes to
the milestone marked done in the last `FOR_MILESTONE` (send the proof right after the tap), else
to the participant's day; the participant can move it to a milestone or back, and remove it.
Who may see a participant's evidence: the participant, their mentor now, and the facilitators
of their cohort (and admins)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import PurePath

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import mentors
from core.errors import InvalidInput
from core.staff import can_manage
from storage.mentoring import Evidence, Milestone
from storage.models import Participant

MAX_BYTES = 10 * 1024 * 1024
MAX_PER_PARTICIPANT = 200
CAPTION_MAX = 1000
NAME_MAX = 128
FOR_MILESTONE = timedelta(minutes=30)

IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/heic", "image/heif"})
DOCUMENT_TYPES = frozenset(
    {
        "application/pdf",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.oasis.opendocument.presentation",
    }
)
EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif", ".pdf", ".doc", ".docx", ".xls",
     ".xlsx", ".ppt", ".pptx", ".odt", ".ods", ".odp"}
)  # fmt: skip
_UNKNOWN_TYPES = frozenset({"", "application/octet-stream"})  # the name then decides


def accepted(name: str, mime_type: str) -> bool:
    """An image, a PDF or an office document, by its type (or by its name when the channel did
    not say): never an executable, an archive, a video."""
    mime = mime_type.lower().split(";")[0].strip()
    if mime in IMAGE_TYPES or mime in DOCUMENT_TYPES:
        return True
    return mime in _UNKNOWN_TYPES and PurePath(name.lower()).suffix in EXTENSIONS


def too_big(size: int | None) -> bool:
    return size is not None and size > MAX_BYTES


@dataclass(frozen=True)
class Received:
    """A file sent, as the channel described it."""

    channel: str
    file_ref: str
    kind: str
    name: str
    mime_type: str
    caption: str


@dataclass(frozen=True)
class Saved:
    evidence: Evidence
    milestone: Milestone | None
    duplicate: bool = False  # the same file was there already: that one is returned


async def save(
    session: AsyncSession,
    participant: Participant,
    received: Received,
    data: bytes,
    *,
    now: datetime,
    today: date,
) -> Saved:
    """Keep the file's description for the participant (InvalidInput `evidence.too_big`,
    `evidence.too_many`); for the milestone just marked done, else for `today`."""
    if too_big(len(data)):
        raise InvalidInput("evidence.too_big")
    digest = hashlib.sha256(data).hexdigest()
    same = await session.scalar(
        select(Evidence).where(Evidence.participant_id == participant.id, Evidence.sha256 == digest)
    )
    if same is not None:
        found = await session.get(Milestone, same.milestone_id) if same.milestone_id else None
        return Saved(same, found, duplicate=True)
    count = await session.scalar(
        select(func.count()).select_from(Evidence).where(Evidence.participant_id == participant.id)
    )
    if (count or 0) >= MAX_PER_PARTICIPANT:
        raise InvalidInput("evidence.too_many")
    milestone = await _just_done(session, participant.id, now)
    evidence = Evidence(
        participant_id=participant.id,
        milestone_id=milestone.id if milestone else None,
        day=None if milestone else today,
        channel=received.channel,
        file_ref=received.file_ref,
        kind=received.kind,
        name=(received.name or received.kind)[:NAME_MAX],
        mime_type=received.mime_type[:128],
        size=len(data),
        sha256=digest,
        caption=received.caption.strip()[:CAPTION_MAX] or None,
        created_at=now,
    )
    session.add(evidence)
    await session.flush()
    return Saved(evidence, milestone)


async def _just_done(session: AsyncSession, participant_id: int, now: datetime) -> Milestone | None:
    """The milestone the participant marked done in the last FOR_MILESTONE, latest first."""
    return await session.scalar(
        select(Milestone)
        .where(
            Milestone.participant_id == participant_id,
            Milestone.done_at > now - FOR_MILESTONE,
        )
        .order_by(Milestone.done_at.desc())
        .limit(1)
    )


async def evidence_of(session: AsyncSession, participant_id: int) -> list[Evidence]:
    """The participant's evidence, oldest first."""
    return list(
        (
            await session.scalars(
                select(Evidence)
                .where(Evidence.participant_id == participant_id)
                .order_by(Evidence.created_at, Evidence.id)
            )
        ).all()
    )


async def own(session: AsyncSession, participant_id: int, evidence_id: int) -> Evidence | None:
    evidence = await session.get(Evidence, evidence_id)
    if evidence is None or evidence.participant_id != participant_id:
        return None
    return evidence


async def move(
    session: AsyncSession,
    participant_id: int,
    evidence_id: int,
    milestone_id: int | None,
    today: date,
) -> Evidence | None:
    """Put the participant's evidence on their milestone `milestone_id`, or (None) back on its
    day (`today` when it came for a milestone); None when either is not theirs."""
    evidence = await own(session, participant_id, evidence_id)
    if evidence is None:
        return None
    if milestone_id is None:
        evidence.milestone_id, evidence.day = None, evidence.day or today
        return evidence
    milestone = await session.get(Milestone, milestone_id)
    if milestone is None or milestone.participant_id != participant_id or not milestone.due_on:
        return None
    evidence.milestone_id = milestone.id
    return evidence


async def remove(session: AsyncSession, participant_id: int, evidence_id: int) -> Evidence | None:
    evidence = await own(session, participant_id, evidence_id)
    if evidence is not None:
        await session.delete(evidence)
        await session.flush()
    return evidence


async def may_see(
    session: AsyncSession, person_id: int, participant: Participant, admin: bool
) -> bool:
    """The participant themself, their mentor now, or staff of their cohort."""
    if participant.person_id == person_id:
        return True
    mentor = await mentors.active_mentor(session, participant.id)
    if mentor is not None and mentor.mentor_person_id == person_id:
        return True
    return await can_manage(session, person_id, participant.cohort_id, admin)


async def counts(session: AsyncSession, participant_ids: list[int]) -> dict[int, int]:
    """How many pieces of evidence each participant has (those with none left out)."""
    if not participant_ids:
        return {}
    rows = await session.execute(
        select(Evidence.participant_id, func.count())
        .where(Evidence.participant_id.in_(participant_ids))
        .group_by(Evidence.participant_id)
    )
    return {pid: int(n) for pid, n in rows.all()}
