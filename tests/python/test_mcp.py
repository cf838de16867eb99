"""keydesk's MCP server (`keydesk mcp`, stdio) through the official Python MCP client (`mcp`).

Each session spawns ``$KEYDESK_BIN mcp --as UPN`` with one fresh data directory for the module
(``KEYDESK_HOME``): the embedded demo tenant Contoso, keydesk's audit log and approvals. The tools
are listed with their input schemas, an allowed read and an allowed write run (and the write is
read back), a denied change is refused by the policy (privileged target from MCP), an employee's
group request waits for the owners' approval, and a temporary password never appears in a tool
result: the one generated in this module is read from the demo tenant's outbox afterwards and
looked for in every result.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters

DOMAIN = "contoso.onmicrosoft.com"
TIMEOUT_SECONDS = 120

ACTIONS = {
    "diagnose_signin",
    "unlock_account",
    "password_reset",
    "mfa_reset",
    "issue_tap",
    "unblock_signin",
    "revoke_sessions",
    "disable_account",
    "create_user",
    "show_user",
    "search_users",
    "update_user_profile",
    "update_photo",
    "list_locked_accounts",
    "grant_access",
    "remove_access",
    "request_access",
    "check_membership",
    "list_group_members",
    "list_user_groups",
    "discover_roles",
    "investigate_compromise",
}

# Every tool result of the module, to look for secrets in at the end.
RESULTS: list[str] = []


def upn(local: str) -> str:
    return f"{local}@{DOMAIN}"


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    if not os.environ.get("KEYDESK_BIN"):
        pytest.fail("KEYDESK_BIN must name the keydesk binary (cargo build --bin keydesk)")
    return tmp_path_factory.mktemp("keydesk-home")


def server(home: Path, actor: str) -> StdioServerParameters:
    return StdioServerParameters(
        command=os.environ["KEYDESK_BIN"],
        args=["mcp", "--as", actor],
        env={"KEYDESK_HOME": str(home), "KEYDESK_LOG": "warn"},
    )


def session(home: Path, actor: str, body):
    """Runs ``body(client)`` in one MCP session as ``actor``."""

    async def main():
        async with Client(server(home, actor), read_timeout_seconds=TIMEOUT_SECONDS) as client:
            return await body(client)

    return asyncio.run(main())


async def call(client: Client, tool: str, arguments: dict) -> tuple[dict, bool]:
    """Calls ``tool``; returns its structured result and whether it is flagged as an error."""
    result = await client.call_tool(tool, arguments)
    texts = [block.text for block in result.content if getattr(block, "type", "") == "text"]
    RESULTS.extend(texts)
    RESULTS.append(json.dumps(result.structured_content))
    assert isinstance(result.structured_content, dict), texts
    # The text content mirrors the structured result.
    assert texts and json.loads(texts[0]) == result.structured_content
    return result.structured_content, bool(result.is_error)


def test_lists_the_action_vocabulary_and_ask_with_input_schemas(home):
    async def body(client):
        return (await client.list_tools()).tools

    tools = {tool.name: tool for tool in session(home, upn("LeeG"), body)}
    extra = {"ask", "approval_status", "verify_user", "confirm_verification"}
    assert ACTIONS | extra <= set(tools), sorted(tools)
    for name in ACTIONS | extra:
        schema = tools[name].input_schema
        assert schema["type"] == "object", name
        assert tools[name].description, name
    reset = tools["password_reset"].input_schema
    assert reset["required"] == ["user"]
    assert {"user", "delivery", "params"} <= set(reset["properties"])
    assert "revoke_sessions" in reset["properties"]["params"]["properties"]
    assert "delivery" not in tools["diagnose_signin"].input_schema["properties"]
    assert set(tools["grant_access"].input_schema["required"]) == {"user", "group"}
    assert "text" in tools["ask"].input_schema["properties"]
    assert "id" in tools["approval_status"].input_schema["properties"]
    assert tools["diagnose_signin"].annotations.read_only_hint is True
    assert tools["disable_account"].annotations.read_only_hint is False


def test_runs_allowed_actions_and_reads_the_change_back(home):
    async def body(client):
        diagnosis = await call(client, "diagnose_signin", {"user": upn("AlexW")})
        update = await call(
            client,
            "update_user_profile",
            {"user": upn("AlexW"), "params": {"officeLocation": "MCP-Test 42"}},
        )
        shown = await call(client, "show_user", {"user": "Alex Wilber"})
        plan = await call(client, "ask", {"text": "unlock alex wilber"})
        return diagnosis, update, shown, plan

    (diagnosis, d_error), (update, u_error), (shown, s_error), (plan, p_error) = session(
        home, upn("LeeG"), body
    )
    assert not d_error, diagnosis
    assert diagnosis["status"] in {"info", "done"}, diagnosis
    assert diagnosis["report"]["target"] == upn("AlexW").lower()
    assert diagnosis["report"]["action"] == "diagnose_signin"

    assert not u_error, update
    assert update["status"] == "done", update
    assert not s_error, shown
    assert "MCP-Test 42" in json.dumps(shown["report"]), shown

    # `ask` plans and shows the policy status; it runs nothing.
    assert not p_error, plan
    assert plan["status"] == "planned"
    assert [s["tool"] for s in plan["steps"]] == ["unlock_account"], plan
    assert plan["steps"][0]["arguments"]["user"] == upn("AlexW").lower()
    assert plan["steps"][0]["policy"] == "needs_verification", plan


def test_a_denied_action_is_refused_with_the_policy_reasons(home):
    async def body(client):
        # NestorW has no manager: the password would go to a named person.
        denied = await call(client, "password_reset", {"user": upn("NestorW"), "delivery": upn("MeganB")})
        unverified = await call(client, "password_reset", {"user": upn("AlexW")})
        reveal = await call(client, "password_reset", {"user": upn("AlexW"), "delivery": "reveal"})
        return denied, unverified, reveal

    (denied, denied_error), (unverified, u_error), (reveal, r_error) = session(home, upn("LeeG"), body)
    # NestorW is a Global Administrator: no privileged change from an MCP client.
    assert denied_error, denied
    assert denied["status"] == "denied", denied
    assert "no-privileged-changes-from-mcp" in json.dumps(denied), denied
    # A credential change on an ordinary user waits for the user's verification (not an error).
    assert not u_error, unverified
    assert unverified["status"] == "needs_verification", unverified
    # A secret is never shown to an MCP client over stdio.
    assert r_error and reveal["status"] == "refused", reveal
    assert reveal["code"] == "reveal_unavailable", reveal


def test_a_write_that_needs_approval_is_pending_with_the_approval_id(home):
    async def body(client):
        pending = await call(client, "request_access", {"group": "All-Engineering"})
        status = None
        if pending[0].get("approval"):
            status = await call(client, "approval_status", {"id": pending[0]["approval"]["id"]})
        return pending, status

    (pending, p_error), status = session(home, upn("ShaneO"), body)
    assert not p_error, pending
    assert pending["status"] == "pending_approval", pending
    approval = pending["approval"]
    assert approval["id"] and approval["requester"].lower() == upn("ShaneO").lower()
    assert approval["approvers"], approval
    (status, s_error) = status
    assert not s_error, status
    assert status["approval"]["id"] == approval["id"]
    assert status["approval"]["status"] == approval["status"]


def outbox(home: Path) -> list[dict]:
    """What the demo tenant has sent so far (saved when each ``keydesk mcp`` session ends)."""
    path = home / "demo-tenant.json"
    return json.loads(path.read_text())["outbox"] if path.exists() else []


def test_a_user_is_verified_through_the_tools_then_the_held_change_runs(home):
    sent_before = len(outbox(home))

    async def start(client):
        held = await call(client, "password_reset", {"user": upn("AlexW")})
        sent = await call(client, "verify_user", {"user": "Alex Wilber"})
        return held, sent

    (held, h_error), (sent, s_error) = session(home, upn("LeeG"), start)
    assert not h_error and held["status"] == "needs_verification", held
    assert not s_error, sent
    assert sent["status"] == "code_sent", sent
    # The code went to Alex, never to the client.
    codes = [
        word
        for message in outbox(home)[sent_before:]
        for word in message["body"].replace(".", " ").split()
        if len(word) == 8 and word.isdigit()
    ]
    assert codes, outbox(home)[sent_before:]
    code = codes[-1]
    assert code not in json.dumps(sent)
    sent_before = len(outbox(home))

    async def finish(client):
        wrong = await call(client, "confirm_verification", {"user": upn("AlexW"), "code": "00000000" if code != "00000000" else "11111111"})
        right = await call(client, "confirm_verification", {"user": upn("AlexW"), "code": code})
        reset = await call(client, "password_reset", {"user": upn("AlexW")})
        return wrong, right, reset

    (wrong, w_error), (right, r_error), (reset, x_error) = session(home, upn("LeeG"), finish)
    assert w_error and wrong["status"] == "refused", wrong
    assert not r_error and right["status"] == "verified", right
    assert not x_error and reset["status"] == "done", reset
    assert "reveal" not in reset
    # The new password went out of band (Alex's manager); no tool result carries it.
    mails = [m for m in outbox(home)[sent_before:] if m["channel"] == "mail"]
    assert mails, outbox(home)[sent_before:]
    words = {w.strip(".,:;<>\"'()") for m in mails for w in m["body"].split()}
    secrets = {w for w in words if len(w) >= 12 and any(c.isdigit() for c in w) and any(c.isalpha() for c in w)}
    assert secrets, mails
    everything = "\n".join(RESULTS)
    for secret in secrets:
        assert secret not in everything


def test_a_temporary_password_never_reaches_the_client(home):
    async def body(client):
        return await call(client, "password_reset", {"user": upn("ShaneO")})

    (reset, error) = session(home, upn("ShaneO"), body)
    # An employee's own reset: allowed, the password goes to the manager, out of band.
    assert not error, reset
    assert reset["status"] == "done", reset
    assert "reveal" not in reset

    state = json.loads((home / "demo-tenant.json").read_text())
    mails = [m for m in state["outbox"] if m["channel"] == "mail" and upn("MiriamG").lower() in json.dumps(m).lower()]
    assert mails, "the manager got no mail"
    body_text = mails[-1]["body"]
    # The mail carries the password; no tool result of this module does.
    candidates = {word.strip(".,:;<>\"'()") for word in body_text.split()}
    candidates = {w for w in candidates if len(w) >= 12 and any(c.isdigit() for c in w) and any(c.isalpha() for c in w)}
    assert candidates, body_text
    everything = "\n".join(RESULTS)
    for secret in candidates:
        assert secret not in everything


def test_streamable_http_under_the_server(tmp_path):
    """`/mcp` under `keydesk serve`: unauthenticated requests are refused unless a principal is
    configured; a reveal is a one-time link for that person, never the secret."""
    import subprocess

    import httpx

    env = dict(os.environ, KEYDESK_HOME=str(tmp_path), KEYDESK_LOG="warn", KEYDESK_MCP_PRINCIPAL=upn("ShaneO"))
    process = subprocess.Popen(
        [os.environ["KEYDESK_BIN"], "serve", "--listen", "127.0.0.1:0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        base = process.stdout.readline().strip()
        assert base.startswith("http://127.0.0.1:"), base

        async def main():
            async with Client(f"{base}/mcp", read_timeout_seconds=TIMEOUT_SECONDS) as client:
                tools = {tool.name for tool in (await client.list_tools()).tools}
                reset = await call(client, "password_reset", {"user": upn("ShaneO"), "delivery": "reveal"})
                return tools, reset

        tools, (reset, error) = asyncio.run(main())
        assert ACTIONS | {"ask", "approval_status"} <= tools
        assert not error, reset
        assert reset["status"] == "done", reset
        assert reset["reveal"]["url"].startswith(f"{base}/reveal/"), reset
        assert "withheld" not in reset
        # A Host that is not loopback is refused (DNS-rebinding protection).
        answer = httpx.post(
            f"{base}/mcp",
            headers={"Host": "attacker.example", "Accept": "application/json, text/event-stream"},
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
            timeout=30,
        )
        assert answer.status_code in {400, 403, 421}, answer.text
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
