//! Integration tests of keydesk-audit, run against SQLite always and PostgreSQL when
//! `KEYDESK_TEST_POSTGRES_URL` is set (`scripts/postgres.sh` starts a local server and prints one).
//! One binary, as the style guide asks; each module is one concern.

mod support;

mod concurrency;
mod export;
mod secrets;
mod storage;
mod tamper;
