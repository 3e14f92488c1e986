#!/usr/bin/env bash
# The tests start their own throwaway PostgreSQL server (tests/pgserver.py); this makes sure its
# programs are installed, installing Debian's package when they are missing and we are root.
set -euo pipefail
# AKSI_TEST_POSTGRES_BIN names the programs' folder: nothing is looked for or installed then.
if [ -n "${AKSI_TEST_POSTGRES_BIN:-}" ]; then
    [ -x "$AKSI_TEST_POSTGRES_BIN/initdb" ] && exit 0
elif command -v initdb >/dev/null 2>&1 || compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
    exit 0
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing PostgreSQL for the tests (apt-get install postgresql)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q postgresql >/dev/null 2>&1 ||
        { apt-get update -q >/dev/null && apt-get install -y -q postgresql >/dev/null; }
    exit 0
fi
case "${CI:-}" in
    1 | true | TRUE | True | yes)
        echo "CI=true and PostgreSQL's server programs are missing: install them (Debian: apt-get install -y postgresql)" >&2
        exit 1 ;;
esac
echo "PostgreSQL is not installed: the tests on PostgreSQL will be skipped (install it: apt-get install -y postgresql; under CI=true this fails)"
