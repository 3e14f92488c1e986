"""Polls and quizzes in the stand-in: sendPoll checked as the Bot API checks it, stopPoll."""

from __future__ import annotations

from typing import Any

from bot.standin.helpers import _Helpers
from bot.standin.wire import (
    _bad_request,
)


class _Polls(_Helpers):
    """sendPoll and stopPoll."""

    async def _send_poll(self, params: dict[str, Any]) -> dict[str, Any]:
        """A poll or quiz, checked as the Bot API checks it (question 1-300 characters, 2-10
        options of 1-100, a quiz's correct option, explanation up to 200, open_period 5-600)."""
        chat_id = self._chat_id(params)
        question = params.get("question")
        if not isinstance(question, str) or not 1 <= len(question) <= 300:
            raise _bad_request("POLL_QUESTION_INVALID")
        raw = params.get("options")
        options = [o.get("text") if isinstance(o, dict) else o for o in raw or []]
        if not 2 <= len(options) <= 10:
            raise _bad_request(
                "POLL_OPTIONS_COUNT_INVALID" if options else "poll must have options"
            )
        if any(not isinstance(o, str) or not 1 <= len(o) <= 100 for o in options):
            raise _bad_request("POLL_OPTION_INVALID")
        kind = params.get("type") or "regular"
        correct = params.get("correct_option_id")  # Bot API 10: correct_option_ids, a list
        many = params.get("correct_option_ids")
        if isinstance(many, list) and len(many) == 1:
            correct = many[0]
        if kind == "quiz" and (not isinstance(correct, int) or not 0 <= correct < len(options)):
            raise _bad_request("wrong correct_option_id specified")
        explanation = params.get("explanation")
        if explanation is not None and (not isinstance(explanation, str) or len(explanation) > 200):
            raise _bad_request("explanation is too long")
        period = params.get("open_period")
        if period is not None and (not isinstance(period, int) or not 5 <= period <= 600):
            raise _bad_request("wrong open_period specified")
        markup = self._reply_markup(params)
        message = self._new_message(chat_id, "poll", question, None, None, markup, params)
        self._next_poll += 1
        message.poll = {
            "id": str(5_000_000_000_000_000_000 + self._next_poll),
            "question": question,
            "options": [
                {"text": o, "voter_count": 0, "persistent_id": str(i)}
                for i, o in enumerate(options)
            ],
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": bool(params.get("is_anonymous", True)),
            "type": kind,
            "allows_multiple_answers": bool(params.get("allows_multiple_answers", False)),
            "allows_revoting": bool(params.get("allows_revoting", False)),
            "members_only": bool(params.get("members_only", False)),
        }
        if kind == "quiz":
            message.poll["correct_option_ids"] = [correct]
            if explanation:
                message.poll["explanation"] = explanation
        if period is not None:
            message.poll["open_period"] = period
        self._polls[message.poll["id"]] = (chat_id, message.message_id)
        self._record("sendPoll", message, params)
        return self._message_json(message)

    async def _stop_poll(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._message_to_edit(params)
        if message.poll is None:
            raise _bad_request("message with poll to stop not found")
        if message.poll["is_closed"]:
            raise _bad_request("poll has already been closed")
        message.poll["is_closed"] = True
        self._record("stopPoll", message, params, with_text=False)
        return dict(message.poll)
