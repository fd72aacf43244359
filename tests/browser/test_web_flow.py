"""The web UI in headless Chromium against the running helpdesk: sign in, answer a real mail, route by rule.

Screenshots of the main pages are written to tests/browser/screenshots/ (ignored by git).
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import insert, select

from mailgate.initdb import init_database
from schema import Queue, QueueStandardTemplate, StandardTemplate, Ticket, TicketPriority
from tests.browser.stack import CHROMIUM, SCREENSHOTS, Stack, running_stack
from tests.webui.support import mail

pytestmark = [pytest.mark.browser, pytest.mark.integration]

PASSWORD = "browser horse battery"


@pytest.fixture(scope="module")
def stack(pg_url_factory: Callable[[], str]) -> Iterator[Stack]:
    url = pg_url_factory()
    init_database(url)
    with running_stack(url) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true and {CHROMIUM} is missing (scripts/bootstrap installs chromium)")
        pytest.skip(f"{CHROMIUM} is missing: run scripts/bootstrap (apt package chromium)")
    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    opened = context.new_page()
    yield opened
    context.close()


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in(page: Page, stack: Stack, login: str, *, screenshot: bool = False) -> None:
    page.goto(f"{stack.base_url}/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", PASSWORD)
    if screenshot:
        shot(page, "01-login")
    page.click("button:has-text('Sign in')")
    expect(page.locator(".who")).to_contain_text("Alex Agent")


def canned_response(stack: Stack, ticket_id: int) -> str:
    """A Znuny standard template of type Answer, assigned to the ticket's queue; returns its name."""
    name = f"Thanks {uuid.uuid4().hex[:6]}"
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    audit = {"create_time": now, "change_time": now, "create_by": 1, "change_by": 1}
    with stack.services.sessions.begin() as session:
        template_id = session.execute(
            insert(StandardTemplate)
            .values(name=name, text="Dear <OTRS_CUSTOMER_REALNAME>, thanks for writing.",
                    content_type="text/plain", template_type="Answer", valid_id=1, **audit)
            .returning(StandardTemplate.id)
        ).scalar_one()  # fmt: skip
        queue_id = session.get_one(Ticket, ticket_id).queue_id
        session.execute(
            insert(QueueStandardTemplate).values(queue_id=queue_id, standard_template_id=template_id, **audit)
        )
    return name


def test_an_agent_answers_a_real_mail_and_the_customer_receives_it(stack: Stack, page: Page) -> None:
    login = stack.agent({"users": "rw", "admin": "rw"}, PASSWORD)
    tag = uuid.uuid4().hex[:6]
    ticket_id = stack.deliver(mail(f"Parcel {tag} missing", "My parcel never arrived. Where is it?"))
    template = canned_response(stack, ticket_id)
    sign_in(page, stack, login, screenshot=True)
    shot(page, "02-queue-overview")
    expect(page.locator("table").first).to_be_visible()

    page.click("nav.mainnav >> text=Tickets")
    row = page.locator("table.tickets tr", has_text=f"Parcel {tag} missing")
    expect(row).to_have_count(1)
    shot(page, "03-ticket-list")
    row.locator("a", has_text=f"Parcel {tag} missing").first.click()
    expect(page.locator("h1")).to_contain_text(f"Parcel {tag} missing")
    expect(page.locator("article.article").first).to_contain_text("My parcel never arrived.")
    shot(page, "04-ticket-view")

    page.click("#action-reply")
    page.select_option("#canned-select", label=template)
    page.click("#canned-insert")  # the script inserts the text at the cursor, no page load
    box = page.locator("#compose-text")
    expect(box).to_have_value(
        re.compile(r"^Dear Jane Doe, thanks for writing\.\n\n> My parcel never arrived")
    )
    box.press("Control+Home")
    box.type(f"Your parcel {tag} is on its way.\n")
    page.set_input_files("input[name=attachments]", files=[
        {"name": "tracking.txt", "mimeType": "text/plain", "buffer": b"tracking number 42"},
    ])  # fmt: skip
    shot(page, "05-reply-form")
    page.click("#compose-send")
    expect(page.locator(".flash-success")).to_contain_text("Answer queued")
    expect(page.locator("article.article").last).to_contain_text(f"Your parcel {tag} is on its way.")
    expect(page.locator("dl.facts dd").nth(1)).to_have_text("open")  # the reply's next state (Znuny: open)

    sent = stack.received(lambda item: tag in item.raw.decode("utf-8", "replace"), "the answer at the sink")
    message = sent.message
    with stack.services.sessions() as session:
        tn = session.get_one(Ticket, ticket_id).tn
    assert sent.rcpt_tos == ["jane@customer.example"]
    assert f"[Ticket#{tn}]" in str(message["Subject"])
    body = message.get_body(("plain",))
    assert body is not None and f"Your parcel {tag} is on its way." in body.get_content()
    assert [part.get_filename() for part in message.iter_attachments()] == ["tracking.txt"]


def test_a_rule_edited_in_the_admin_pages_routes_the_next_mail(stack: Stack, page: Page) -> None:
    tag = uuid.uuid4().hex[:6]
    billing = f"Billing {tag}"
    stack.queue(billing)
    login = stack.agent({"users": "rw", "admin": "rw"}, PASSWORD)
    sign_in(page, stack, login)
    page.goto(f"{stack.base_url}/admin/rules/new")
    page.fill("input[name=name]", f"Invoices {tag}")
    page.fill("input[name='cond-0-field']", "subject")
    page.select_option("select[name='cond-0-operator']", "contains")
    page.fill("input[name='cond-0-value']", f"invoice {tag}")
    page.select_option("select[name='act-0-action']", "set_queue")
    page.fill("input[name='act-0-value']", billing)
    page.click("form.rule-form button:has-text('Save')")
    expect(page.locator(".flash-success")).to_contain_text("saved")

    first = stack.deliver(mail(f"Invoice {tag} overdue", "Please pay."))
    with stack.services.sessions() as session:
        assert session.get_one(Ticket, first).queue_id == stack_queue_id(stack, billing)

    # edit the rule: mails it matches now also get the highest priority
    page.fill("input[name='act-1-value']", "5 very high")
    page.select_option("select[name='act-1-action']", "set_priority")
    page.click("form.rule-form button:has-text('Save')")
    expect(page.locator(".flash-success")).to_contain_text("saved")
    page.goto(f"{stack.base_url}/admin/rules/")
    expect(page.locator("body")).to_contain_text(f"Invoices {tag}")
    shot(page, "06-admin-rules")

    second = stack.deliver(mail(f"Invoice {tag} second reminder", "Please pay now."))
    page.goto(f"{stack.base_url}/tickets/{second}")
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text(billing)
    expect(facts).to_contain_text("5 very high")
    with stack.services.sessions() as session:
        very_high = session.scalars(
            select(TicketPriority.id).where(TicketPriority.name == "5 very high")
        ).one()
        assert session.get_one(Ticket, first).ticket_priority_id != very_high  # routed before the edit
        assert session.get_one(Ticket, second).ticket_priority_id == very_high


def stack_queue_id(stack: Stack, name: str) -> int:
    with stack.services.sessions() as session:
        return session.scalars(select(Queue.id).where(Queue.name == name)).one()


def test_the_ticket_list_announces_new_mail_without_a_reload(stack: Stack, page: Page) -> None:
    login = stack.agent({"users": "rw"}, PASSWORD)
    sign_in(page, stack, login)
    page.goto(f"{stack.base_url}/tickets")
    banner = page.locator("#live-banner")
    expect(banner).to_be_hidden()
    page.wait_for_timeout(700)  # the first poll has taken the cursor
    tag = uuid.uuid4().hex[:6]
    stack.deliver(mail(f"Fresh {tag}", "Just arrived."))
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("1 new ticket")
    shot(page, "07-ticket-list-live")
    page.click("#live-reload")
    expect(page.locator("table.tickets")).to_contain_text(f"Fresh {tag}")
