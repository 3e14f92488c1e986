"""`python -m bot` is the `aksi` command."""

from bot.cli import main

main(prog_name="aksi")
