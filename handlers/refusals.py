"""The answer to typed input that was refused, naming the rule that applies: the limit of the
field being answered, why a number was not taken, an impossible date or time versus one
written in a form not understood. The reasons come from `core.errors` and `core.reading`."""

from __future__ import annotations

from datetime import date

from babel.dates import format_date

from core.errors import TooLong
from core.numbers import number
from core.reading import MAX_DECIMALS, Amount, BadDate, BadNumber, BadTime
from handlers.common import plain, text
from handlers.turn import HasServices, Turn


def too_long(context: HasServices, lang: str, exc: TooLong) -> str:
    """'The action plan title is too long (135 characters): 120 characters at most. …', the
    numbers written the reader's way (3.801 / 3,801)."""
    limit, length = number(exc.limit, lang), number(exc.length, lang)
    return text(context, lang, f"too_long.{exc.field}", limit=limit, length=length)


def bad_date(
    context: HasServices, lang: str, exc: BadDate, format_key: str, **values: object
) -> str:
    """30 February is called impossible; a date written another way gets `format_key`."""
    if exc.reason == "no_such_month":
        return text(context, lang, "date.no_such_month", typed=exc.typed)
    if exc.reason == "no_such_day":
        month = format_date(date(exc.year, exc.month, 1), "MMMM y", locale=lang)
        return text(
            context, lang, "date.no_such_day", typed=exc.typed, month=month, last=exc.last_day
        )
    return text(context, lang, format_key, **values)


def bad_time(
    context: HasServices, lang: str, exc: BadTime, format_key: str, **values: object
) -> str:
    """25:00 is called impossible; a time written another way gets `format_key`."""
    if exc.impossible:
        return text(context, lang, "time.no_such_time", typed=exc.typed)
    return text(context, lang, format_key, **values)


def bad_number(
    context: HasServices,
    lang: str,
    exc: BadNumber,
    *,
    unit: str | None,
    maximum: float,
    zero_key: str,
) -> str:
    """Why a typed target or value was refused; `zero_key` answers a 0."""
    if exc.reason == "other_unit":
        return text(context, lang, "number.other_unit", unit=unit or "", other=exc.unit or "")
    if exc.reason == "zero":
        return text(context, lang, zero_key, unit=unit or "")
    if exc.reason == "too_large":
        limit = number(maximum, lang)
        return text(context, lang, "number.too_large", typed=exc.typed[:40], maximum=limit)
    if exc.reason == "decimals":
        # The typed number to two decimals as the example (`2,1255` → 2,13); for `2,555` or
        # `1,250` in Indonesian also how to write it if thousands were meant (2.555, 1.250).
        example = number(float(exc.rounded) if exc.rounded else 2.25, lang)
        if exc.thousands is None:
            return text(
                context, lang, "number.decimals", places=number(MAX_DECIMALS, lang), example=example
            )
        return text(
            context,
            lang,
            "number.decimals_or_thousands",
            typed=exc.typed[:40],
            places=number(MAX_DECIMALS, lang),
            example=example,
            thousands=number(exc.thousands, lang),
        )
    if exc.reason == "negative":
        return text(context, lang, "number.negative", typed=exc.typed[:40])
    return text(context, lang, "number.not_a_number", typed=exc.typed[:40])


def read_as(context: HasServices, lang: str, typed: str, value: Amount, unit: str | None) -> str:
    """'I read 10 000 as 10,000 pages.': shown when a thousands separator was taken as one,
    the number written the reader's way."""
    shown = f"{number(value.value, lang)} {unit or ''}".strip()
    return text(context, lang, "number.read_as", typed=" ".join(typed.split())[:40], amount=shown)


async def stale_button(turn: Turn) -> None:
    """A press with data we could not have sent (forged, malformed, from an older release):
    said so in the reader's language, nothing else done."""
    async with turn.services.db() as session:
        lang = (await turn.identify(session)).lang
    await turn.answer_button(plain(turn, lang, "button.stale"), alert=True)
