"""The catalogs: both languages complete, placeholders matching, HTML well-formed, and every
text that shows a count in the right number ("1 day", "2 days")."""

from __future__ import annotations

import re
import string
from html.parser import HTMLParser

import pytest

from core.checkins import BACKFILL_DAYS
from core.i18n import Catalogs, Html
from core.pauses import MAX_PAUSE_DAYS

CATALOGS = Catalogs()


class TagBalance(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.unbalanced: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.unbalanced.append(tag)


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_key_is_in_both_languages() -> None:
    assert set(CATALOGS.messages) == {"id", "en"}
    assert set(CATALOGS.messages["id"]) == set(CATALOGS.messages["en"])
    assert len(CATALOGS.messages["id"]) > 40


def forms(lang: str, key: str) -> tuple[str, ...]:
    """Every form of a text: one, or one per plural form for a counted text."""
    return CATALOGS.plurals[lang].get(key) or (CATALOGS.messages[lang][key],)


@pytest.mark.parametrize("key", sorted(CATALOGS.messages["id"]))
def test_placeholders_match_and_html_balances(key: str) -> None:
    id_forms, en_forms = forms("id", key), forms("en", key)
    # A form for one may say "the next session" rather than "{count}"; no other may differ.
    assert set().union(*map(placeholders, id_forms)) == set().union(*map(placeholders, en_forms))
    for template in (*id_forms, *en_forms):
        assert placeholders(template) | {"count"} >= placeholders(forms("en", key)[-1]), key
        checker = TagBalance()
        checker.feed(template)
        assert checker.unbalanced == [], key
        assert checker.stack == [], key


def test_counted_texts_have_a_form_for_each_plural_form() -> None:
    """English: one and other (`nplurals=2`); Indonesian has one form for every number."""
    assert set(CATALOGS.plurals["id"]) == set(CATALOGS.plurals["en"])
    assert {"count.day", "count.habit", "schedule.header_next"} <= set(CATALOGS.plurals["en"])
    assert CATALOGS.plural_forms == {"id": 1, "en": 2}
    for key, (one, other) in CATALOGS.plurals["en"].items():
        assert one != other, key
        assert len(CATALOGS.plurals["id"][key]) == 1, key


def test_english_counts_one_day_and_two_days() -> None:
    day = [CATALOGS.plain("en", "count.day", count=n) for n in (0, 1, 2, 21, 1.5)]
    assert day == ["0 days", "1 day", "2 days", "21 days", "1.5 days"]
    assert CATALOGS.plain("en", "count.habit", count=1) == "1 habit"
    assert CATALOGS.plain("en", "count.habit", count=3) == "3 habits"
    assert CATALOGS.plain("id", "count.day", count=1) == "1 hari"
    assert CATALOGS.plain("id", "count.day", count=2) == "2 hari"
    one = CATALOGS.text("en", "schedule.header_next", count=1, cohort="A & B", zone="WITA")
    assert one == "🗓 <b>A &amp; B schedule</b>\nThe next session · WITA time"
    three = CATALOGS.text("en", "announce.sending", count=3)
    assert three.startswith("📤 Sending to 3 participants.")
    assert CATALOGS.text("en", "announce.sending", count=1).startswith(
        "📤 Sending to 1 participant."
    )
    assert CATALOGS.text("fr", "count.week", count=1) == "1 minggu"  # falls back to Indonesian


def test_a_counted_text_needs_its_count() -> None:
    with pytest.raises(TypeError, match="count"):
        CATALOGS.plain("en", "count.day")
    with pytest.raises(TypeError, match="count"):
        CATALOGS.plain("en", "count.day", count="3")


# Nouns that follow a number in the English texts; a text showing one after a placeholder
# must be a counted (plural) entry, so that one of them reads "1 day", not "1 days".
PLURAL_NOUNS = (
    "days|weeks|minutes|seconds|hours|sessions|participants|messages|rows|materials|problems"
    "|fields|bytes|characters|habits|habit-days|names|cohorts|plans|action plans|check-ins"
    "|reflections|people|times|files|links"
)
COUNTED = re.compile(r"\{(\w+)\}\s+(?:more\s+)?(?:" + PLURAL_NOUNS + r")\b")
# Placeholders that are never 1: fixed limits (and lengths over them), a rate shown with a
# decimal ("1.0 messages/second" is plural in English), the days /checkin can go back.
NEVER_ONE = {"limit", "length", "rate"}
NOT_A_NUMBER = {"cohort"}  # "{cohort} materials": the cohort's name
NEVER_ONE_KEYS = {
    ("checkin.pick_day", "days"),
    ("checkin.day_out_of_range", "days"),
    # The longest pause: 60 days.
    ("reminders.ask_until", "days"),
    ("reminders.until_out_of_range", "days"),
    # A month's last day: 28 to 31.
    ("date.no_such_day", "last"),
    # A mentor's comment: at most core.approvals.COMMENT_MAX (1000) characters.
    ("approval.ask_comment", "max"),
    ("approval.comment_long", "max"),
    ("upload.problem.impossible_date", "last"),
    # A milestone's title: core.milestones.TITLE_MIN (3) to TITLE_MAX (150) characters; at most
    # MAX_MILESTONES (8) of them.
    ("milestone.ask_title", "min"),
    ("milestone.ask_title", "max"),
    ("milestone.title_short", "min"),
    ("milestone.title_long", "max"),
    ("milestone.too_many", "count"),
    # A consultation's answers: core.consultations.LIMITS (3 to 1000 characters); at most
    # MAX_DAYS_BACK (120) days ago.
    ("consult.ask_topic", "max"),
    ("consult.ask_outcome", "max"),
    ("consult.ask_next", "max"),
    ("consult.short", "min"),
    ("consult.long", "max"),
    ("consult.date_old", "days"),
    # The follow-up after the course: a question every core.follow_up.EVERY (30) days, so
    # at 30 days and after; a note of at most NOTE_MAX (500) characters.
    ("follow_up.terms_both", "every"),
    ("follow_up.terms_questions", "every"),
    ("report.follow_up_answer", "days"),
    ("final.after", "days"),
    # Attendance: excuses up to core.attendance.EXCUSE_DAYS (7) days after; a reason of
    # REASON_MIN (3) to REASON_MAX (300) characters.
    ("attendance.excuse_offer", "days"),
    ("attendance.no_excuse", "days"),
    ("attendance.ask_reason", "max"),
    ("attendance.reason_length", "max"),
    # An evaluation's free text: at most core.evaluations.TEXT_MAX (1000) characters.
    ("evaluation.type_text", "max"),
    ("evaluation.text_long", "max"),
    ("follow_up.ask_note", "max"),
    ("follow_up.ask_note_stopped", "max"),
    ("follow_up.note_long", "max"),
    # A quiz question's time: core.quizzes.SECONDS_MIN (5) to SECONDS_MAX (600) seconds.
    ("upload.problem.bad_seconds", "high"),
    ("quiz.time_limit", "seconds"),
    ("quiz.invite_timed", "seconds"),
    # A pulse question: at most core.pulses.QUESTION_MAX (255) characters.
    ("pulse.too_long", "max"),
}


def test_no_english_text_shows_a_count_without_a_singular() -> None:
    assert BACKFILL_DAYS >= 2 and MAX_PAUSE_DAYS >= 2  # what NEVER_ONE_KEYS relies on
    offending = []
    for key, template in CATALOGS.messages["en"].items():
        if key in CATALOGS.plurals["en"]:
            continue
        for match in COUNTED.finditer(template):
            name = match.group(1)
            if name not in NEVER_ONE | NOT_A_NUMBER and (key, name) not in NEVER_ONE_KEYS:
                offending.append((key, match.group(0)))
        if re.search(r"(?<!http)\(s\)", template):  # "habit(s)"; "http(s)" is no count
            offending.append((key, "(s)"))
    assert offending == []


def test_values_are_escaped_unless_html() -> None:
    out = CATALOGS.text("id", "join.unknown_code", code="<script>&")
    assert "&lt;script&gt;&amp;" in out
    assert CATALOGS.text("id", "schedule.link", link=Html("<a href='x'>x</a>")).endswith("</a>")
    assert CATALOGS.plain("en", "button.use_telegram_name", name="A & B") == "Use «A & B»"


def test_missing_language_falls_back_to_indonesian() -> None:
    assert CATALOGS.text("fr", "profile.saved") == CATALOGS.text("id", "profile.saved")
    with pytest.raises(KeyError):
        CATALOGS.text("id", "no.such.key")
