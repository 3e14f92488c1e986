# Aksi: `make run` sets up and runs the bot (the local chat when no token is configured);
# `make test` sets up and runs the whole check (format, lint, types, tests).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test check fmt bench clean lock

# Installed from the locked set (exact versions, checked by hash), then Aksi itself.
# requirements-dev.lock: everything, with the test and check tools; requirements.lock: what
# Aksi runs on (the image), the same versions.
$(STAMP): pyproject.toml requirements-dev.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.lock
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

# Refresh both locks from pyproject.toml (newest versions its ranges allow), with uv.
UV_COMPILE := $(BIN)/uv pip compile pyproject.toml --generate-hashes --python-version 3.11 --quiet
lock: $(STAMP)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check uv
	$(UV_COMPILE) --extra dev -o requirements-dev.lock
	@sed -i '2s|.*|#    make lock   (uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -o requirements-dev.lock)|' requirements-dev.lock
	$(UV_COMPILE) -c requirements-dev.lock -o requirements.lock
	@sed -i '2s|.*|#    make lock   (uv pip compile pyproject.toml --generate-hashes --python-version 3.11 -c requirements-dev.lock -o requirements.lock)|' requirements.lock

run: $(STAMP)
	@$(BIN)/aksi run

test: $(STAMP)
	@bash tests/ensure-postgresql.sh
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest
	@echo "The end-to-end suite again, with Telegram 150 ± 50 ms away:"
	AKSI_TEST_RTT_MS=150 AKSI_TEST_JITTER_MS=50 $(BIN)/pytest tests/test_e2e.py

check: test

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The benchmarks, in order (bench/common.py and bench/echo_bot.py are helpers, not benchmarks).
# Each runs against the Bot API stand-in on loopback, never Telegram, whatever TELEGRAM_* says
# (and WhatsApp's against the Cloud API stand-in, whatever WHATSAPP_* says).
BENCHES := startup request_cost reminders checkin broadcast whatsapp_broadcast peak mixed joining webhook final_report poll

bench: $(STAMP)
	@for b in $(BENCHES); do echo "== bench/$$b.py"; $(BIN)/python bench/$$b.py || exit 1; done

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache *.egg-info
