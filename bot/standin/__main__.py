"""`python -m bot.standin`: run the stand-in standalone until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import threading

from bot.standin.records import Outgoing
from bot.standin.server import BotApiStandIn
from bot.standin.wire import DEFAULT_TOKEN


def _describe_record(record: Outgoing) -> str:
    line = f"<- {record.method} chat={record.chat_id} message_id={record.message_id}"
    if record.text is not None:
        line += "\n   " + record.text.replace("\n", "\n   ")
    markup = record.reply_markup or {}
    for row in markup.get("inline_keyboard", []):
        buttons = [f"[{b.get('text')} -> {b.get('callback_data') or b.get('url')}]" for b in row]
        line += "\n   " + " ".join(buttons)
    for row in markup.get("keyboard", []):
        line += "\n   " + " ".join(f"[{b if isinstance(b, str) else b.get('text')}]" for b in row)
    return line


def _read_stdin(loop: asyncio.AbstractEventLoop, lines: asyncio.Queue[str | None]) -> None:
    """Feed stdin lines to ``lines`` (runs in a daemon thread; None marks end of input)."""
    for line in sys.stdin:
        loop.call_soon_threadsafe(lines.put_nowait, line.rstrip("\n"))
    loop.call_soon_threadsafe(lines.put_nowait, None)


def main(argv: list[str] | None = None) -> int:
    """``python -m bot.standin [--host H] [--port P] [--token T] [--username U] [--user-id N]
    [--rtt-ms MS --jitter-ms MS]``.

    Serves until Ctrl-C and prints what the bot sends. Lines typed on stdin are sent to the bot
    as messages from user ``--user-id``; ``!cb MESSAGE_ID DATA`` presses an inline button.
    """
    parser = argparse.ArgumentParser(
        prog="python -m bot.standin", description="Run the Bot API stand-in until Ctrl-C."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--username", default="aksi_bot")
    parser.add_argument("--user-id", type=int, default=1001, help="who stdin lines come from")
    parser.add_argument("--rtt-ms", type=float, default=0.0, help="round trip to add (ms)")
    parser.add_argument("--jitter-ms", type=float, default=0.0, help="± on the round trip (ms)")
    args = parser.parse_args(argv)
    if not 0 <= args.jitter_ms <= args.rtt_ms and args.jitter_ms:
        parser.error("--jitter-ms must be between 0 and --rtt-ms")

    async def serve() -> None:
        async with BotApiStandIn(args.token, args.username, args.host, args.port) as standin:
            standin.network(args.rtt_ms, args.jitter_ms)
            standin.add_listener(lambda record: print(_describe_record(record), flush=True))
            print("Bot API stand-in running; Ctrl-C stops it.", flush=True)
            print(f"  token:         {standin.token}", flush=True)
            print(f"  base_url:      {standin.base_url}", flush=True)
            print(f"  base_file_url: {standin.base_file_url}", flush=True)
            print(f"  network:       {standin.network_settings}", flush=True)
            print(f"Type to chat as user {args.user_id}; '!cb MESSAGE_ID DATA' presses a button.")
            lines: asyncio.Queue[str | None] = asyncio.Queue()
            reader = threading.Thread(
                target=_read_stdin, args=(asyncio.get_running_loop(), lines), daemon=True
            )
            reader.start()
            while True:
                line = await lines.get()
                if line is None:  # stdin closed: keep serving
                    await asyncio.Event().wait()
                    continue
                if not line.strip():
                    continue
                parts = line.split(maxsplit=2)
                try:
                    if parts[0] == "!cb" and len(parts) == 3:
                        standin.push_callback(args.user_id, int(parts[1]), parts[2])
                    else:
                        standin.push_message(args.user_id, line)
                except ValueError as error:
                    print(f"!! {error}", flush=True)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


if __name__ == "__main__":
    sys.exit(main())
