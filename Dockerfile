# Aksi as a container: `aksi serve` (Telegram's webhook, /healthz, /readyz, /metrics on 8080)
# as a non-root user, installed from the locked dependency set (requirements.lock: what Aksi
# runs on; the test tools are locked apart). See deploy/ and the README's "Deploying".
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

RUN useradd --create-home --uid 10001 aksi
WORKDIR /app

COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock

COPY pyproject.toml README.md ./
COPY bot ./bot
COPY core ./core
COPY handlers ./handlers
COPY scheduler ./scheduler
COPY storage ./storage
RUN pip install --no-deps . && mkdir -p /data && chown aksi:aksi /data

USER aksi
WORKDIR /data
VOLUME ["/data"]
ENV AKSI_HTTP_HOST=0.0.0.0 \
    AKSI_HTTP_PORT=8080 \
    AKSI_LOG_FORMAT=json \
    DATABASE_URL=sqlite+aiosqlite:////data/aksi.db
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]
CMD ["aksi", "serve"]
