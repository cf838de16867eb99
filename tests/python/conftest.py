"""Fixtures for the contract tests: Microsoft's Python Graph SDK against the keydesk emulator.

A fresh emulator per test module: ``$KEYDESK_BIN emulator --listen 127.0.0.1:0
--print-credentials`` runs as a subprocess; its ``base URL:`` and ``credentials:`` lines give the
address and the demo "keydesk" app's client credentials. A token comes from the emulator's token
endpoint over plain HTTP (client credentials), and each test builds its own ``GraphServiceClient``
exactly as shared/design/dependencies.md shows (a static token provider, ``127.0.0.1`` as the
allowed host, the adapter's ``base_url`` pointed at the emulator).
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
import time
from dataclasses import dataclass

import httpx
import pytest
from kiota_abstractions.authentication import (
    AccessTokenProvider,
    AllowedHostsValidator,
    BaseBearerTokenAuthenticationProvider,
)
from msgraph import GraphRequestAdapter, GraphServiceClient

DOMAIN = "contoso.onmicrosoft.com"
STARTUP_SECONDS = 60


def upn(local: str) -> str:
    return f"{local}@{DOMAIN}"


class StaticToken(AccessTokenProvider):
    """Hands the SDK a token fetched beforehand, for the allowed hosts only."""

    def __init__(self, token: str, hosts: list[str]):
        self._t, self._v = token, AllowedHostsValidator(hosts)

    async def get_authorization_token(self, uri, additional_authentication_context=None):
        return self._t if self._v.is_url_host_valid(uri) else ""

    def get_allowed_hosts_validator(self):
        return self._v


@dataclass
class Emulator:
    base_url: str
    graph_base: str
    tenant_id: str
    client_id: str
    client_secret: str
    token: str

    def client(self) -> GraphServiceClient:
        """A GraphServiceClient for this emulator (build it inside the test's event loop)."""
        adapter = GraphRequestAdapter(BaseBearerTokenAuthenticationProvider(StaticToken(self.token, ["127.0.0.1"])))
        adapter.base_url = self.graph_base
        return GraphServiceClient(request_adapter=adapter)

    def raw(self) -> httpx.Client:
        """Plain HTTP with the same token, for what the SDK cannot express."""
        return httpx.Client(base_url=self.graph_base, headers={"Authorization": f"Bearer {self.token}"}, timeout=30)

    def control(self) -> httpx.Client:
        """The emulator's own control plane (not Graph)."""
        return httpx.Client(base_url=f"{self.base_url}/_emulator", timeout=30)


def _read_lines(stream, lines: queue.Queue) -> None:
    for line in iter(stream.readline, ""):
        lines.put(line)
    lines.put(None)


@pytest.fixture(scope="module")
def emulator():
    binary = os.environ.get("KEYDESK_BIN")
    if not binary:
        pytest.fail("KEYDESK_BIN must name the keydesk binary (cargo build --bin keydesk)")
    process = subprocess.Popen(
        [binary, "emulator", "--listen", "127.0.0.1:0", "--print-credentials"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_read_lines, args=(process.stdout, lines), daemon=True).start()
    base_url = credentials = None
    seen = []
    deadline = time.monotonic() + STARTUP_SECONDS
    try:
        while credentials is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                pytest.fail(f"the emulator printed no credentials in {STARTUP_SECONDS} s: {seen}")
            try:
                line = lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                pytest.fail(f"the emulator exited with {process.wait()}: {seen}")
            seen.append(line.rstrip())
            if line.startswith("base URL:"):
                base_url = line.split(":", 1)[1].strip()
            elif line.startswith("credentials:"):
                credentials = json.loads(line.split(":", 1)[1])
        assert base_url and base_url.startswith("http://127.0.0.1:"), seen
        token_url = f"{credentials['authorityHost']}/{credentials['tenantId']}/oauth2/v2.0/token"
        answer = httpx.post(
            token_url,
            data={
                "grant_type": "client_credentials",
                "client_id": credentials["clientId"],
                "client_secret": credentials["clientSecret"],
                "scope": "https://graph.microsoft.com/.default",
            },
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["token_type"] == "Bearer"
        yield Emulator(
            base_url=base_url,
            graph_base=credentials["graphBase"],
            tenant_id=credentials["tenantId"],
            client_id=credentials["clientId"],
            client_secret=credentials["clientSecret"],
            token=answer.json()["access_token"],
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
