"""Chats side by side, each in order (bot.chats): a slow answer for one person never holds up
another's, and one person's messages are still handled one after another, in order.

Also the drawing process (core.rendering): a picture drawn in a real worker process."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any, ParamSpec, TypeVar

import pytest
from telegram import Chat, Message, Update, User

from bot.channels.telegram_order import ChatOrderedProcessor, chat_key
from core.heatmap import Cell
from core.pictures import HeatmapRow, heatmap_png
from core.rendering import Renderer
from tests.harness import MemoryBot, MemoryPerson, Person, RunningBot, texts
from tests.planning import joined_person, write_plan

P = ParamSpec("P")
T = TypeVar("T")
PNG = b"\x89PNG\r\n\x1a\n"


def message_update(update_id: int, chat_id: int) -> Update:
    chat = Chat(chat_id, Chat.PRIVATE)
    user = User(chat_id, "Budi", is_bot=False)
    sent = datetime(2021, 9, 3, tzinfo=UTC)
    return Update(update_id, message=Message(update_id, sent, chat, from_user=user, text="x"))


async def run_all(
    processor: ChatOrderedProcessor, work: list[tuple[Update, Callable[[], Awaitable[None]]]]
) -> None:
    """Hand the updates to the processor as PTB does: a task each, started in arrival order."""
    tasks = [asyncio.create_task(processor.process_update(u, job())) for u, job in work]
    await asyncio.gather(*tasks)


async def test_one_chat_in_order_other_chats_alongside() -> None:
    finished: list[str] = []

    def job(name: str, seconds: float) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            await asyncio.sleep(seconds)
            finished.append(name)

        return run

    processor = ChatOrderedProcessor()
    await run_all(
        processor,
        [
            (message_update(1, 5), job("5: slow first", 0.2)),
            (message_update(2, 5), job("5: quick second", 0)),
            (message_update(3, 6), job("6: quick", 0)),
            (message_update(4, 5), job("5: quick third", 0)),
        ],
    )
    # Chat 6 did not wait for chat 5's slow update; chat 5's stayed in their order.
    assert finished == ["6: quick", "5: slow first", "5: quick second", "5: quick third"]
    assert processor.busy_chats == 0  # nothing kept for chats with nothing in hand


async def test_a_failing_update_does_not_stop_its_chat() -> None:
    done: list[int] = []

    async def boom() -> None:
        raise RuntimeError("a handler failed")

    async def fine() -> None:
        done.append(2)

    processor = ChatOrderedProcessor()
    first = asyncio.create_task(processor.process_update(message_update(1, 5), boom()))
    second = asyncio.create_task(processor.process_update(message_update(2, 5), fine()))
    with pytest.raises(RuntimeError):
        await first
    await second
    assert done == [2]
    assert processor.busy_chats == 0


async def test_the_processor_says_when_it_has_handled_everything() -> None:
    """What a test (or a health check) waits on instead of a quiet spell: the newest update
    handed over, and no event being handled or waiting — a failed one included."""
    processor = ChatOrderedProcessor()
    order = processor.order
    release = asyncio.Event()

    async def held() -> None:
        await release.wait()

    async def boom() -> None:
        raise RuntimeError("a handler failed")

    assert order.idle and processor.last_update_id == 0
    first = asyncio.create_task(processor.process_update(message_update(7, 5), held()))
    second = asyncio.create_task(processor.process_update(message_update(8, 5), boom()))
    await asyncio.sleep(0)
    assert processor.last_update_id == 8
    assert not order.idle and order.handling == 2  # one running, one waiting its turn
    assert not processor.handled_ids
    release.set()
    await first
    with pytest.raises(RuntimeError):
        await second
    assert order.idle and order.handled == 2
    assert list(processor.handled_ids) == [7, 8]


def test_whose_order_counts() -> None:
    assert chat_key(message_update(1, 42)) == 42
    assert chat_key(Update(7)) is None  # an update of no chat and no person
    assert chat_key("not an update") is None


class GatedRenderer(Renderer):
    """Draws only once the test opens the gate, so a picture is 'slow' for as long as wanted."""

    def __init__(self) -> None:
        super().__init__(0)
        self.gate = asyncio.Event()
        self.entered = asyncio.Event()

    async def run(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        self.entered.set()
        await self.gate.wait()
        return await super().run(fn, *args, **kwargs)


def typed(bot: RunningBot | MemoryBot, person: Person | MemoryPerson, text: str) -> Awaitable[Any]:
    """`person` types `text` without waiting for the answer: what to await for it to be handled
    (on Telegram the stand-in hands it to the polling bot; on the in-memory channel the engine
    takes it in the order typed)."""
    if isinstance(bot, MemoryBot):
        assert isinstance(person, MemoryPerson)
        return asyncio.create_task(person.send(text))
    update_id = bot.standin.push_message(person.user_id, text, first_name=person.first_name)
    return asyncio.sleep(0, update_id)


@pytest.mark.databases("sqlite", "postgresql")
@pytest.mark.channels("telegram", "memory")
async def test_a_slow_picture_holds_up_only_its_own_chat(bot: RunningBot | MemoryBot) -> None:
    ani = await joined_person(bot, 1001, "Ani")  # type: ignore[arg-type]
    await write_plan(ani)
    budi = await joined_person(bot, 1002, "Budi")  # type: ignore[arg-type]
    renderer = GatedRenderer()
    bot.services.renderer = renderer

    mark = bot.standin.mark()
    progress = typed(bot, ani, "/progres")
    await asyncio.wait_for(renderer.entered.wait(), 10)
    schedule_for_ani = typed(bot, ani, "/jadwal")  # queued behind it

    # Budi is answered while Ani's picture is still being drawn ...
    schedule = texts(await budi.send("/jadwal"))
    assert schedule and "Jadwal" in schedule[0]
    # ... and Ani's /jadwal waits for her /progres to finish.
    waiting = [r.method for r in bot.standin.outgoing_for(ani.user_id, since=mark)]
    assert waiting == ["sendMessage"]  # the progress summary, sent before the picture

    renderer.gate.set()
    await asyncio.wait_for(progress, 20)
    await asyncio.wait_for(schedule_for_ani, 20)
    out = await bot.standin.wait_for_outgoing(ani.user_id, 3, 20, since=mark)
    assert [r.method for r in out] == ["sendMessage", "sendPhoto", "sendMessage"]
    assert texts(out[2:]) == schedule  # her /jadwal, answered after her picture


def sample_rows() -> list[HeatmapRow]:
    cells = {date(2021, 9, 1): Cell.DONE, date(2021, 9, 2): Cell.MISSED}
    return [HeatmapRow("Apel pagi", cells, "🔥 1 hari")]


async def test_a_picture_is_drawn_in_a_worker_process() -> None:
    renderer = Renderer(1)
    try:
        png = await renderer.run(
            heatmap_png,
            sample_rows(),
            start=date(2021, 9, 1),
            end=date(2021, 9, 30),
            today=date(2021, 9, 3),
            title="Peta kebiasaan",
            labels={},
            lang="id",
        )
        assert png.startswith(PNG)
        assert await renderer.run(_worker_pid) != _worker_pid()  # really another process
    finally:
        renderer.close()


def _worker_pid() -> int:
    import os

    return os.getpid()


async def test_a_dead_drawing_process_is_replaced_for_the_next_picture() -> None:
    renderer = Renderer(1)
    try:
        pid = await renderer.run(_worker_pid)
        with pytest.raises(Exception, match="terminated abruptly"):
            await renderer.run(_die)
        assert await renderer.run(_worker_pid) != pid  # a new worker took its place
    finally:
        renderer.close()


def _die() -> Any:
    import os

    os._exit(1)
