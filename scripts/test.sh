#!/usr/bin/env bash
# keydesk's one test command: Rust tests (unit, integration, property), then the independent
# contract tests that drive the emulator with Microsoft's Python Graph SDK, and the web console's
# end-to-end test in headless Chromium (screenshots in ${KEYDESK_ARTIFACTS:-target/artifacts}).
# Sets up what it needs itself (a Python venv with pinned packages) so it passes on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."

# A clean CI build gains nothing from incremental compilation; it only costs disk and time.
if [ "${CI:-}" = "true" ]; then
  export CARGO_INCREMENTAL=0
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings

echo "== PostgreSQL for the storage tests"
if [ -z "${KEYDESK_TEST_POSTGRES_URL:-}" ] && command -v pg_ctlcluster >/dev/null 2>&1; then
  KEYDESK_TEST_POSTGRES_URL="$(bash scripts/postgres.sh | tail -n 1)"
  export KEYDESK_TEST_POSTGRES_URL
fi
if [ -z "${KEYDESK_TEST_POSTGRES_URL:-}" ] && [ "${CI:-}" = "true" ]; then
  echo "PostgreSQL is required in CI (scripts/postgres.sh could not start it)" >&2
  exit 1
fi

echo "== Samba Active Directory domain controller for the AD tests"
if [ -z "${KEYDESK_TEST_AD_ENV:-}" ]; then
  if [ "${CI:-}" = "true" ]; then
    KEYDESK_TEST_AD_ENV="$(KEYDESK_SAMBA_INSTALL=1 bash scripts/samba-ad.sh | tail -n 1)" || {
      echo "Samba AD is required in CI (scripts/samba-ad.sh could not start it)" >&2
      exit 1
    }
  elif command -v samba >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
    KEYDESK_TEST_AD_ENV="$(bash scripts/samba-ad.sh | tail -n 1)" || {
      echo "== WARNING: scripts/samba-ad.sh could not start Samba: the AD tests will be SKIPPED" >&2
      KEYDESK_TEST_AD_ENV=""
    }
  else
    echo "== WARNING: Samba is not installed or this is not root: the AD tests will be SKIPPED (apt-get install samba)" >&2
  fi
  export KEYDESK_TEST_AD_ENV
fi

echo "== cargo test"
cargo test --workspace

echo "== Chromium for the web console's end-to-end test"
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  if [ "${CI:-}" = "true" ]; then
    SUDO=""
    if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
    { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; } || {
      echo "Chromium is required in CI (apt-get install chromium chromium-driver failed)" >&2
      exit 1
    }
  else
    echo "== WARNING: chromium or chromium-driver is not installed: the console end-to-end test will be SKIPPED (apt-get install chromium chromium-driver)" >&2
  fi
fi

echo "== Python tests (msgraph-sdk against the emulator; the web console in headless Chromium)"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt
cargo build --quiet --bin keydesk
KEYDESK_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/keydesk" .venv/bin/python -m pytest -q tests/python
