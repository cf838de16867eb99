#!/usr/bin/env bash
# keydesk's one test command: Rust tests (unit, integration, property), then the independent
# contract tests that drive the emulator with Microsoft's Python Graph SDK.
# Sets up what it needs itself (a Python venv with pinned packages) so it passes on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings

echo "== cargo test"
cargo test --workspace

echo "== Python contract tests (msgraph-sdk against the emulator)"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt
cargo build --quiet --bin keydesk
KEYDESK_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/keydesk" .venv/bin/python -m pytest -q tests/python
