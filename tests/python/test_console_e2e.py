"""End to end: the web console in real headless Chromium against `keydesk serve` on the demo tenant.

A helpdesk operator (PattiF, Privileged Authentication Administrator) asks to reset the password of
a privileged user (NestorW, Global Administrator). The plan shows that the step needs approval;
she verifies NestorW with a one-time code (read from the emulator's outbox, where the demo's
"phones" and "mailboxes" are), confirms, and the step waits for approval. A second operator
(MeganB, Global Administrator) signs in in a fresh browser and approves it in the inbox. PattiF
confirms again: the reset runs and the temporary password is mailed to the named recipient
(MeganB, never NestorW's own mailbox). The audit view shows the chain intact with the intent and
the outcome. No page ever shows the password. Screenshots of every step are saved under
``${KEYDESK_ARTIFACTS:-target/artifacts}/console-e2e/``.

Needs Debian's ``chromium`` and ``chromium-driver`` (scripts/test.sh installs them in CI); without
them the test is skipped, except in CI (CI=true), where it fails.
"""

from __future__ import annotations

import os
import pathlib
import queue
import re
import shutil
import signal
import subprocess
import threading
import time

import httpx
import pytest

DOMAIN = "contoso.onmicrosoft.com"
OPERATOR = f"PattiF@{DOMAIN}"
APPROVER = f"MeganB@{DOMAIN}"
TARGET = f"NestorW@{DOMAIN}"
STARTUP_SECONDS = 120
WAIT_SECONDS = 60

ROOT = pathlib.Path(__file__).resolve().parents[2]
ARTIFACTS = pathlib.Path(os.environ.get("KEYDESK_ARTIFACTS") or ROOT / "target" / "artifacts") / "console-e2e"


def _browser_paths() -> tuple[str | None, str | None]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return chromium, driver


CHROMIUM, CHROMEDRIVER = _browser_paths()
if not (CHROMIUM and CHROMEDRIVER) and os.environ.get("CI") != "true":
    pytest.skip(
        "chromium and chromedriver are not installed (apt-get install chromium chromium-driver)",
        allow_module_level=True,
    )

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


def _read_lines(stream, lines: queue.Queue) -> None:
    for line in iter(stream.readline, ""):
        lines.put(line)
    lines.put(None)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`keydesk serve` on port 0 with a fresh data directory (the embedded demo tenant)."""
    binary = os.environ.get("KEYDESK_BIN")
    if not binary:
        pytest.fail("KEYDESK_BIN must name the keydesk binary (cargo build --bin keydesk)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    home = tmp_path_factory.mktemp("keydesk-home")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEYDESK_") or k == "KEYDESK_BIN"}
    env["KEYDESK_HOME"] = str(home)
    log = open(ARTIFACTS / "server.log", "w")
    process = subprocess.Popen(
        [binary, "serve", "--listen", "127.0.0.1:0"],
        stdout=subprocess.PIPE,
        stderr=log,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_read_lines, args=(process.stdout, lines), daemon=True).start()
    try:
        try:
            url = lines.get(timeout=STARTUP_SECONDS)
        except queue.Empty:
            pytest.fail(f"keydesk serve printed no address in {STARTUP_SECONDS} s (see {ARTIFACTS / 'server.log'})")
        if url is None:
            pytest.fail(f"keydesk serve exited with {process.wait()} (see {ARTIFACTS / 'server.log'})")
        url = url.strip()
        assert url.startswith("http://127.0.0.1:"), url
        yield url
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def new_browser() -> WebDriver:
    """A fresh headless Chromium (its own profile: cookies are not shared between two)."""
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.fail("chromium and chromedriver are required in CI (apt-get install chromium chromium-driver)")
    options = Options()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,1000",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ):
        options.add_argument(argument)
    return webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))


class Shots:
    """Screenshots of every step, and every page's HTML for the secret-leak check."""

    def __init__(self) -> None:
        self.sources: list[tuple[str, str]] = []
        self.count = 0
        for old in ARTIFACTS.glob("*.png"):
            old.unlink()

    def take(self, driver: WebDriver, name: str) -> None:
        self.count += 1
        height = driver.execute_script(
            "return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight)"
        )
        driver.set_window_size(1280, min(max(1000, int(height) + 40), 6000))
        path = ARTIFACTS / f"{self.count:02d}-{name}.png"
        driver.save_screenshot(str(path))
        self.sources.append((name, driver.page_source))
        print(f"screenshot: {path}")

    def record(self, driver: WebDriver, name: str) -> None:
        self.sources.append((name, driver.page_source))


def wait(driver: WebDriver, css: str, within=None, seconds: int = WAIT_SECONDS):
    root = within or driver
    return WebDriverWait(driver, seconds).until(lambda _: root.find_element(By.CSS_SELECTOR, css))


def sign_in(driver: WebDriver, base: str, upn: str) -> None:
    driver.get(base + "/")
    button = wait(driver, f'button.person[data-upn="{upn}" i]')
    button.click()
    WebDriverWait(driver, WAIT_SECONDS).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, "#signed-in-as"))
    )
    shown = driver.find_element(By.CSS_SELECTOR, "#signed-in-as").get_attribute("data-upn")
    assert shown.lower() == upn.lower(), shown


def ask(driver: WebDriver, text: str):
    box = wait(driver, "form.ask textarea")
    box.clear()
    box.send_keys(text)
    before = len(driver.find_elements(By.CSS_SELECTOR, ".conversation .exchange"))
    driver.find_element(By.CSS_SELECTOR, "form.ask button[type=submit]").click()
    WebDriverWait(driver, WAIT_SECONDS).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, ".conversation .exchange")) > before
    )
    exchange = driver.find_elements(By.CSS_SELECTOR, ".conversation .exchange")[-1]
    return wait(driver, '.step[data-action="password_reset"]', within=exchange)


def outbox(emulator: str) -> list[dict]:
    answer = httpx.get(f"{emulator}/_emulator/outbox", timeout=30)
    answer.raise_for_status()
    return answer.json()["value"]


def verify_in(driver: WebDriver, step, emulator: str, shots: Shots) -> None:
    """Sends NestorW a code from the step's verification form, reads it from the outbox, confirms."""
    sent_before = len(outbox(emulator))
    step.find_element(By.CSS_SELECTOR, "form.verify button.send-code").click()
    code_box = wait(driver, "form.verify input[name=code]", within=step)
    new = outbox(emulator)[sent_before:]
    assert new, "no verification code was sent"
    message = new[-1]
    match = re.search(r"\b(\d{8})\b", message["body"])
    assert match, message
    # The demo shows what the recipient got, like the CLI's "(demo) what ... received".
    assert match.group(1) in step.find_element(By.CSS_SELECTOR, ".demo-note").text
    shots.take(driver, "code-sent")
    code_box.send_keys(match.group(1))
    step.find_element(By.CSS_SELECTOR, "button.check-code").click()
    wait(driver, ".verify.verified", within=step)


def confirm_with_delivery(driver: WebDriver, step, recipient: str):
    step.find_element(By.CSS_SELECTOR, 'fieldset.delivery input[value="person"]').click()
    person = step.find_element(By.CSS_SELECTOR, "fieldset.delivery input[name=person]")
    person.clear()
    person.send_keys(recipient)
    step.find_element(By.CSS_SELECTOR, "button.confirm").click()
    return wait(driver, ".result .outcome", within=step)


def test_privileged_password_reset_with_second_approver(server):
    base = server
    shots = Shots()
    print(f"screenshots and the server log go to {ARTIFACTS}")
    operator = new_browser()
    approver = None
    try:
        # 1. The sign-in page lists the demo cast under a clearly marked demo banner.
        operator.get(base + "/")
        wait(operator, "button.person")
        banner = operator.find_element(By.CSS_SELECTOR, ".demo-banner")
        assert "demo tenant" in banner.text.lower()
        emulator = operator.find_element(By.CSS_SELECTOR, "#emulator-outbox").get_attribute("data-emulator-url")
        assert emulator.startswith("http://127.0.0.1:"), emulator
        shots.take(operator, "sign-in")

        # 2. PattiF asks; the plan shows that the reset needs approval (and verification).
        sign_in(operator, base, OPERATOR)
        shots.take(operator, "request-box")
        step = ask(operator, "reset the password for NestorW")
        assert step.find_element(By.CSS_SELECTOR, ".step-head .target").text.lower() == TARGET.lower()
        badges = [b.get_attribute("data-policy") for b in step.find_elements(By.CSS_SELECTOR, ".step-head .badge[data-policy]")]
        assert "needs_approval" in badges, badges
        assert "needs approval" in step.text
        shots.take(operator, "plan-needs-approval")

        # 3. She verifies NestorW with a one-time code.
        verify_in(operator, step, emulator, shots)
        shots.take(operator, "verified")

        # 4. Confirm, delivering to a named person: the step waits for a second approver.
        outcome = confirm_with_delivery(operator, step, APPROVER)
        assert outcome.get_attribute("data-status") == "pending_approval", outcome.text
        approval_id = outcome.find_element(By.CSS_SELECTOR, "code.approval-id").text.strip()
        assert approval_id.startswith("apr-"), approval_id
        shots.take(operator, "pending-approval")

        # A state-changing request without the session's CSRF header is refused.
        session = operator.get_cookie("keydesk_session")
        assert session, "no session cookie"
        cookie = {"Cookie": f"keydesk_session={session['value']}"}
        refused = httpx.post(f"{base}/console/ask", data={"text": "list locked accounts"}, headers=cookie, timeout=30)
        assert refused.status_code == 403, refused.text
        assert "CSRF" in refused.text

        # 5. She signs out.
        operator.find_element(By.CSS_SELECTOR, "#sign-out").click()
        wait(operator, "button.person")
        assert operator.get_cookie("keydesk_session") is None
        shots.take(operator, "signed-out")

        # 6. MeganB, in a fresh browser, approves it in the inbox.
        approver = new_browser()
        sign_in(approver, base, APPROVER)
        approver.get(base + "/approvals")
        card = wait(approver, f'article[data-approval-id="{approval_id}"]')
        assert card.get_attribute("data-status") == "pending"
        assert TARGET.lower() in card.text.lower()
        shots.take(approver, "approvals-inbox")
        card.find_element(By.CSS_SELECTOR, "input[name=reason]").send_keys("Nestor called from his desk phone")
        card.find_element(By.CSS_SELECTOR, "button.approve").click()
        decided = wait(approver, f'article[data-approval-id="{approval_id}"][data-status="approved"]')
        assert "approved" in decided.text.lower()
        shots.take(approver, "approved")
        approver.quit()
        approver = None

        # 7. PattiF confirms again with the same choices: the reset runs.
        sign_in(operator, base, OPERATOR)
        sent_before = len(outbox(emulator))
        step = ask(operator, "reset the password for NestorW")
        outcome = confirm_with_delivery(operator, step, APPROVER)
        if outcome.get_attribute("data-status") == "needs_verification":
            verify_in(operator, step, emulator, shots)
            sent_before = len(outbox(emulator))
            outcome = confirm_with_delivery(operator, step, APPROVER)
        assert outcome.get_attribute("data-status") == "done", outcome.text
        assert "mailed to" in outcome.text.lower(), outcome.text
        shots.take(operator, "reset-done")

        # 8. The delivery is in the emulator's outbox, to MeganB, never NestorW's own mailbox.
        mails = [m for m in outbox(emulator)[sent_before:] if m["channel"] == "mail"]
        assert mails, "no delivery mail"
        delivery = mails[-1]
        recipients = [r.lower() for r in delivery["to"]]
        assert APPROVER.lower() in recipients, delivery
        assert TARGET.lower() not in recipients, delivery
        secret = re.search(r"\n {4}(\S+)\n", delivery["body"])
        assert secret, delivery["body"]
        password = secret.group(1)

        # 9. The audit view: the chain is intact and holds the reset's intent and outcome.
        operator.get(base + "/audit")
        status = wait(operator, "#chain-status")
        assert status.get_attribute("data-intact") == "true"
        assert "Chain intact" in status.text
        rows = operator.find_elements(By.CSS_SELECTOR, "#audit-table tbody tr")
        kinds = {(r.get_attribute("data-kind"), r.get_attribute("data-action")) for r in rows}
        for expected in [
            ("intent", "password_reset"),
            ("outcome", "password_reset"),
            ("approval_requested", "password_reset"),
            ("approval_decided", "password_reset"),
        ]:
            assert expected in kinds, (expected, sorted(kinds))
        assert not operator.find_elements(By.CSS_SELECTOR, "#audit-table td.link-bad")
        shots.take(operator, "audit-chain")

        # NestorW's history and the decided approval, for the record.
        operator.get(base + f"/history?user={TARGET}")
        wait(operator, "#timeline")
        shots.take(operator, "history")
        operator.get(base + "/approvals?all=true")
        wait(operator, f'article[data-approval-id="{approval_id}"][data-status="used"]')
        shots.take(operator, "approvals-all")

        # 10. No page ever showed the temporary password.
        for name, source in shots.sources:
            assert password not in source, f"the temporary password is visible on '{name}'"
    finally:
        for driver in (operator, approver):
            if driver is not None:
                driver.quit()
