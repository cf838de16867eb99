"""schemathesis against keydesk's own API: `keydesk serve` on the demo tenant, its
`/openapi.json`, a signed-in operator (MeganB, Global Administrator) so the calls reach the
guarded code paths, and the `not_a_server_error` check: no generated request may get a 5xx.

Every phase runs (examples, coverage, fuzzing, stateful) with a bounded number of examples.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

import httpx

from conftest import upn

STARTUP_SECONDS = 120


def start_server(home: str) -> tuple[subprocess.Popen, str]:
    env = dict(os.environ, KEYDESK_HOME=home, KEYDESK_RATE_LIMIT="100000")
    for name in ("KEYDESK_TENANT_ID", "KEYDESK_DATABASE_URL", "KEYDESK_ACTOR"):
        env.pop(name, None)
    process = subprocess.Popen(
        [os.environ["KEYDESK_BIN"], "serve", "--listen", "127.0.0.1:0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:"), f"keydesk serve printed {url!r}"
    return process, url


def test_schemathesis_finds_no_server_error():
    with tempfile.TemporaryDirectory() as home, tempfile.TemporaryDirectory() as work:
        process, url = start_server(home)
        try:
            signed_in = httpx.post(f"{url}/auth/demo", json={"upn": upn("MeganB")}, timeout=30)
            assert signed_in.status_code == 200, signed_in.text
            cookie = signed_in.cookies["keydesk_session"]
            csrf = signed_in.json()["csrf"]
            # The session goes in through the document's own cookie security scheme.
            with open(os.path.join(work, "schemathesis.toml"), "w") as config:
                config.write('[auth.openapi.session]\napi_key = "${KEYDESK_SESSION}"\n')
            schemathesis = os.path.join(os.path.dirname(sys.executable), "schemathesis")
            run = subprocess.run(
                [
                    schemathesis, "run", f"{url}/openapi.json",
                    "--checks", "not_a_server_error",
                    "--header", f"X-CSRF-Token: {csrf}",
                    "--max-examples", "25",
                    "--workers", "1",
                    "--seed", "20261124",
                ],
                cwd=work,
                env=dict(os.environ, KEYDESK_SESSION=cookie),
                capture_output=True,
                text=True,
                timeout=900,
            )
            summary = run.stdout[-3000:]
            print(summary)
            assert run.returncode == 0, summary + run.stderr[-2000:]
            assert " passed" in run.stdout and "Authentication failed" not in run.stdout, summary
        finally:
            process.terminate()
            process.wait(timeout=30)
