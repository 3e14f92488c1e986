"""Authorization of the training's workflow (issue 13, item 8; issue 14, item 5), table-driven
like the facilitator commands' (tests/test_authorization.py): a mentor sees only their mentees,
a participant never sees another's evidence, and every button of the mentor's features —
approval, invitation, milestones, evidence, consultations, the follow-up, the final report — and
of attendance, evaluations, quizzes and quick questions, forged with the ids of someone else's
records, pressed by another participant of the same cohort, a participant of another cohort,
another participant's mentor, another cohort's facilitator or a stranger, is refused with
nothing changed in the database and nothing of the records shown. The same table pressed by
those it belongs to works (so the refusals are not a button that never works)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import buttons, evaluations, pulses, quiz_files, quizzes
from core.i18n import Catalogs
from storage.evaluations import EvaluationItem
from storage.mentoring import Consultation, Evidence, FollowUp, Mentorship, Milestone, PlanReview
from storage.models import Cohort, Participant, Session
from storage.quizzes import QuizAnswer
from storage.training import Attendance
from tests.authworld import changes, snapshot, visible
from tests.conftest import NOW, make_cohort
from tests.harness import Outgoing, Person, RunningBot, joined
from tests.people import facilitator_of
from tests.planning import joined_person, write_plan
from tests.test_approvals import with_mentor
from tests.test_consultations import record
from tests.test_milestones import add

pytestmark = [
    pytest.mark.databases("sqlite", "postgresql"),
    pytest.mark.channels("telegram", "memory"),
]

MILESTONE = "Tahapan rahasia Alfa"
TOPIC = "Topik rahasia Alfa"
CAPTION = "Bukti rahasia Alfa"
REASON = "Alasan izin rahasia Alfa"
SECRETS = (MILESTONE, TOPIC, CAPTION, REASON, "Pelayanan izin selesai dalam satu hari")
QUIZ = b"soal,a,b,jawaban\nSatu?,Ya,Tidak,A\nDua?,Ya,Tidak,B\n"


@dataclass(frozen=True)
class Ids:
    budi: int  # the participant whose records are forged at
    cohort: int
    review: int
    milestone: int
    evidence: int
    consultation: int
    follow_up: int
    invitation: int  # Ani's open invitation to a mentor (nobody has opened it)
    session: int  # REVMEN1's session of Thursday 2 September (its attendance closed)
    excuse: int  # Budi's excuse for it, waiting for a facilitator
    running: int  # REVMEN1's session under way (its attendance open)
    form: int  # REVMEN1's organisation evaluation, open
    item: int  # its first item
    quiz: int  # REVMEN1's pre-test, open; its first question asked of Budi
    question: int
    pulse: int  # a quick question sent to Budi and Ani


async def the_world(
    bot: RunningBot, db: async_sessionmaker[AsyncSession], chat_kind: str
) -> tuple[dict[str, Person], Ids]:
    """REVMEN1: Budi (mentor Siti, a plan waiting for her, a milestone, evidence, a consultation
    waiting for Siti, a follow-up question), Ani (an open invitation), facilitator Sari.
    OTHER: Eko (mentor Dodi), facilitator Fajar. And Joko, a stranger."""
    other = await make_cohort(db, code="OTHER", name="Angkatan Lain")
    await facilitator_of(db, "REVMEN1", chat_kind, 9001)
    await facilitator_of(db, "OTHER", chat_kind, 9002)
    budi = await joined_person(bot)
    siti = await with_mentor(bot, budi)
    await write_plan(budi)
    await add(budi, MILESTONE, "#2")
    await budi.send_photo(caption=CAPTION)
    await record(budi, "Catat konsultasi", "Hari ini", TOPIC, "Disepakati", "-")
    ani = await joined_person(bot, 1002, "Ani")
    await ani.send("/mentor")
    await ani.press("Buat tautan undangan")
    eko = bot.person(1003, "Eko")
    await eko.send("/start OTHER")
    await eko.press("Lewati")
    await eko.press("Lewati")
    dodi = await with_mentor(bot, eko, 3002, "Dodi")
    people = {
        "budi": budi,
        "siti": siti,
        "ani": ani,
        "eko": eko,
        "dodi": dodi,
        "sari": bot.person(9001, "Sari"),
        "fajar": bot.person(9002, "Fajar"),
        "joko": bot.person(1009, "Joko"),
    }
    for who in ("sari", "fajar", "joko"):
        await people[who].send("/bantuan")  # a message of their own to press under
    async with db.begin() as session:
        budi_id = await session.scalar(
            select(Participant.id).where(Participant.first_name == "Budi")
        )
        assert budi_id is not None
        session.add(FollowUp(participant_id=budi_id, offset_days=30, status="sent"))
        cohort_id = await session.scalar(select(Cohort.id).where(Cohort.code == "REVMEN1"))
        assert cohort_id is not None
        held = Session(
            cohort_id=cohort_id,
            starts_at=datetime(2021, 9, 2, 0, 30, tzinfo=UTC),
            ends_at=datetime(2021, 9, 2, 4, 0, tzinfo=UTC),
            title="Sesi pembuka",
        )
        session.add(held)
        await session.flush()
        session.add(
            Attendance(session_id=held.id, participant_id=budi_id, state="asked",
                       source="self", kind="sakit", reason=REASON)
        )  # fmt: skip
        session.add(
            Session(
                cohort_id=cohort_id,
                starts_at=datetime(2021, 9, 3, 0, 50, tzinfo=UTC),  # its attendance is open now
                ends_at=datetime(2021, 9, 3, 3, 0, tzinfo=UTC),
                title="Sesi berjalan",
            )
        )
    async with db.begin() as session:
        cohort = await session.get(Cohort, cohort_id)
        assert cohort is not None
        catalogs = Catalogs()
        form = await evaluations.open_form(
            session, cohort, "organisation", lambda lang, key: catalogs.plain(lang, key), None,
            NOW,
        )  # fmt: skip
        quiz = await quiz_files.import_quiz(session, cohort_id, "pre", "Uji", None, QUIZ, NOW)
        quiz.opened_at = NOW
        budi_row = await session.get(Participant, budi_id)
        assert budi_row is not None
        await quizzes.next_question(session, quiz, budi_row, NOW)
        members = list(
            await session.scalars(select(Participant).where(Participant.cohort_id == cohort_id))
        )
        pulse, _ = await pulses.open_pulse(
            session, cohort_id, pulses.parse("Materi? | Jelas | Bingung", ()), None, members, NOW
        )
        made = (form.id, quiz.id, pulse.id)
    async with db() as session:

        async def one(query: object) -> int:
            found = await session.scalar(query)  # type: ignore[call-overload]
            assert isinstance(found, int), query
            return found

        ani_id = await one(select(Participant.id).where(Participant.first_name == "Ani"))
        ids = Ids(
            budi=budi_id,
            cohort=await one(select(Cohort.id).where(Cohort.code == "REVMEN1")),
            review=await one(  # the latest: adding the milestone sent the plan again
                select(PlanReview.id)
                .where(PlanReview.participant_id == budi_id)
                .order_by(PlanReview.id.desc())
            ),
            milestone=await one(select(Milestone.id).where(Milestone.participant_id == budi_id)),
            evidence=await one(select(Evidence.id).where(Evidence.participant_id == budi_id)),
            consultation=await one(
                select(Consultation.id).where(Consultation.participant_id == budi_id)
            ),
            follow_up=await one(select(FollowUp.id).where(FollowUp.participant_id == budi_id)),
            invitation=await one(
                select(Mentorship.id).where(
                    Mentorship.participant_id == ani_id, Mentorship.state == "invited"
                )
            ),
            session=await one(select(Session.id).where(Session.title == "Sesi pembuka")),
            excuse=await one(select(Attendance.id).where(Attendance.participant_id == budi_id)),
            running=await one(select(Session.id).where(Session.title == "Sesi berjalan")),
            form=made[0],
            item=await one(
                select(EvaluationItem.id)
                .where(EvaluationItem.form_id == made[0])
                .order_by(EvaluationItem.position)
            ),
            quiz=made[1],
            question=await one(
                select(QuizAnswer.question_id).where(QuizAnswer.participant_id == budi_id)
            ),
            pulse=made[2],
        )
    assert other.id != ids.cohort
    return people, ids


def table(ids: Ids) -> list[tuple[str, str, tuple[str, ...]]]:
    """(feature, button data, who may press it). Everyone else is refused."""
    return [
        ("approval", buttons.pack(buttons.APPROVAL, "changes", str(ids.review)), ("siti",)),
        ("approval", buttons.pack(buttons.APPROVAL, "approve", str(ids.review)), ("siti",)),
        ("invitation", buttons.pack(buttons.MENTOR, "accept", str(ids.invitation)), ()),
        ("invitation", buttons.pack(buttons.MENTOR, "decline", str(ids.invitation)), ()),
        ("invitation", buttons.pack(buttons.MENTOR, "withdraw", str(ids.invitation)), ("ani",)),
        ("milestone", buttons.pack(buttons.MILESTONE, "done", str(ids.milestone)), ("budi",)),
        ("milestone", buttons.pack(buttons.MILESTONE, "rm", str(ids.milestone)), ("budi",)),
        ("evidence", buttons.pack(buttons.EVIDENCE, "open", str(ids.evidence)),
         ("budi", "siti", "sari")),
        ("evidence", buttons.pack(buttons.EVIDENCE, "who", str(ids.budi)),
         ("budi", "siti", "sari")),
        ("evidence", buttons.pack(buttons.EVIDENCE, "rm", str(ids.evidence)), ("budi",)),
        ("evidence", buttons.pack(buttons.EVIDENCE, "ms", f"{ids.evidence}.{ids.milestone}"),
         ("budi",)),
        ("consultation", buttons.pack(buttons.CONSULT, "ok", str(ids.consultation)), ("siti",)),
        ("consultation", buttons.pack(buttons.CONSULT, "no", str(ids.consultation)), ("siti",)),
        ("consultation", buttons.pack(buttons.CONSULT, "new", str(ids.budi)), ("budi", "siti")),
        ("follow-up", buttons.pack(buttons.FOLLOW_UP, "yes", str(ids.follow_up)), ("budi",)),
        ("final report", buttons.pack(buttons.FINAL_REPORT, "p", str(ids.budi)),
         ("budi", "siti", "sari")),
        ("final report", buttons.pack(buttons.FINAL_REPORT, "all", str(ids.cohort)), ("sari",)),
        ("attendance", buttons.pack(buttons.ATTENDANCE, "ok", str(ids.excuse)), ("sari",)),
        ("attendance", buttons.pack(buttons.ATTENDANCE, "no", str(ids.excuse)), ("sari",)),
        ("attendance", buttons.pack(buttons.ATTENDANCE, "ses", str(ids.session)), ("sari",)),
        ("attendance", buttons.pack(buttons.ATTENDANCE, "mk", f"{ids.running}.{ids.budi}.e"),
         ("sari",)),
        ("attendance", buttons.pack(buttons.ATTENDANCE, "in", str(ids.session)), ()),  # closed
        ("attendance", buttons.pack(buttons.ATTENDANCE, "in", str(ids.running)), ("budi", "ani")),
        ("evaluation", buttons.pack(buttons.EVALUATION, "go", str(ids.form)), ("budi", "ani")),
        ("evaluation", buttons.pack(buttons.EVALUATION, "a", f"{ids.item}.4"), ("budi", "ani")),
        ("evaluation", buttons.pack(buttons.EVALUATION, "res", str(ids.form)), ("sari",)),
        ("evaluation", buttons.pack(buttons.EVALUATION, "close", str(ids.form)), ("sari",)),
        ("evaluation", buttons.pack(buttons.EVALUATION, "new", f"o.{ids.cohort}"), ("sari",)),
        ("quiz", buttons.pack(buttons.QUIZ, "go", str(ids.quiz)), ("budi", "ani")),
        ("quiz", buttons.pack(buttons.QUIZ, "a", f"{ids.question}.0"), ("budi",)),
        ("quiz", buttons.pack(buttons.QUIZ, "open", str(ids.quiz)), ("sari",)),
        ("quiz", buttons.pack(buttons.QUIZ, "res", str(ids.quiz)), ("sari",)),
        ("quiz", buttons.pack(buttons.QUIZ, "gain", str(ids.cohort)), ("sari",)),
        ("quiz", buttons.pack(buttons.QUIZ, "close", str(ids.quiz)), ("sari",)),
        ("pulse", buttons.pack(buttons.PULSE, "a", f"{ids.pulse}.1"), ("budi", "ani")),
        ("pulse", buttons.pack(buttons.PULSE, "v", str(ids.pulse)), ("sari",)),
        ("pulse", buttons.pack(buttons.PULSE, "x", str(ids.pulse)), ("sari",)),
    ]  # fmt: skip


OUTSIDERS = ("ani", "eko", "dodi", "fajar", "joko")


def shown(out: list[Outgoing]) -> str:
    return visible(out) + "\n".join(
        (o.file_bytes or b"").decode("latin-1") for o in out if o.method == "sendPhoto"
    )


async def test_every_record_button_is_refused_to_everyone_it_is_not_for(
    bot: RunningBot, db: async_sessionmaker[AsyncSession], chat_kind: str
) -> None:
    people, ids = await the_world(bot, db, chat_kind)
    rows = table(ids)
    for feature, data, allowed in rows:
        for who in (w for w in people if w not in allowed):
            person = people[who]
            before = await snapshot(db)
            out = await person.press_data(person.last_message_id(), data)
            assert changes(before, await snapshot(db)) == {}, (feature, data, who)
            assert [o for o in out if o.method in ("sendDocument", "sendPhoto")] == [], (
                feature, data, who,
            )  # fmt: skip
            seen = shown(out)
            assert not [s for s in SECRETS if s in seen], (feature, data, who, seen)
            assert any(o.method == "answerCallbackQuery" for o in out), (feature, data, who)
    # Typed: another's final report by number, and the mentor's and facilitator's lists.
    for who in OUTSIDERS:
        out = await people[who].send(f"/laporanakhir {ids.budi}")
        assert [o for o in out if o.method == "sendDocument"] == [], who
        for command in ("/bukti", "/konsultasi", "/mentor", "/laporanakhir"):
            seen = shown(await people[who].send(command))
            assert "Budi" not in seen and not [s for s in SECRETS if s in seen], (who, command)
    # The same buttons for those they are for: something happens (an answer, a file, a change).
    for feature, data, allowed in rows:
        for who in allowed:
            if feature == "invitation" or data.startswith(("mst:rm", "evd:rm")):
                continue  # each asks to confirm or ends the record: shown once below
            if data.startswith(("apv:approve", "kon:no", "hdr:no")):
                continue  # one decision per record: "changes" and "ok" came first
            person = people[who]
            before = await snapshot(db)
            out = await person.press_data(person.last_message_id(), data)
            worked = changes(before, await snapshot(db)) != {} or any(
                o.method in ("sendMessage", "sendDocument", "sendPhoto", "editMessageText")
                for o in out
            )
            assert worked, (feature, data, who, [(o.method, o.text) for o in out])
    out = await people["ani"].press_data(
        people["ani"].last_message_id(),
        buttons.pack(buttons.MENTOR, "withdraw", str(ids.invitation)),
    )
    async with db() as session:
        state = await session.scalar(
            select(Mentorship.state).where(Mentorship.id == ids.invitation)
        )
    assert state == "withdrawn", joined(out)
