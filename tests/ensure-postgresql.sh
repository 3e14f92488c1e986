#!/usr/bin/env bash
# The tests start their own throwaway PostgreSQL server (tests/pgserver.py); this makes sure its
# programs are installed, installing Debian's package when they are missing and we are root.
set -euo pipefail
if command -v initdb >/dev/null 2>&1 || compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
    exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing PostgreSQL for the tests (apt-get install postgresql)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q postgresql >/dev/null 2>&1 ||
        { apt-get update -q >/dev/null && apt-get install -y -q postgresql >/dev/null; }
    exit 0
fi
echo "PostgreSQL's server programs are missing: install them (Debian: apt-get install -y postgresql)" >&2
exit 1
