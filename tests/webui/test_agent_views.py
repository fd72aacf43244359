"""Agent read views on tickets made from real mails: overview, lists, search, thread, files, permissions."""

from __future__ import annotations

import base64
import re
import uuid
from email.message import EmailMessage

import pytest
from sqlalchemy import insert, select, update

from schema import Article, Ticket, TicketState
from tests.webui.support import Client, WebEnv, mail

pytestmark = pytest.mark.integration

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def rich_mail(subject: str) -> bytes:
    """HTML with a script, a remote image, an inline cid: image, plus a PDF with a non-ASCII name."""
    msg = EmailMessage()
    msg["From"] = "Zoë Customer <zoe@customer.example>"
    msg["To"] = "support@example.org"
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{uuid.uuid4().hex}@customer.example>"
    msg.set_content("Plain part: see the logo.")
    msg.add_alternative(
        '<html><head><style>p{color:red}</style><script>alert("x")</script></head><body>'
        '<p onclick="alert(1)">Hello <b>agent</b></p><img src="cid:logo@customer.example" alt="logo">'
        '<img src="https://tracker.example/pixel.gif"><a href="javascript:alert(2)">bad</a>'
        '<a href="https://customer.example/">site</a></body></html>',
        subtype="html",
    )
    html_part = msg.get_payload()[1]
    html_part.add_related(PNG, "image", "png", cid="<logo@customer.example>", filename="logo.png")
    msg.add_attachment(b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename="Rechnung März.pdf")
    return msg.as_bytes()


@pytest.fixture(scope="module")
def desk(web: WebEnv) -> dict[str, object]:
    """Two queues in two groups, an agent of each, tickets in both made from real mails."""
    tag = uuid.uuid4().hex[:6]
    sales = web.queue(f"sales-{tag}", f"Sales {tag}")
    tech = web.queue(f"tech-{tag}", f"Tech {tag}")
    sales_agent = web.agent({f"sales-{tag}": "rw"})
    tech_agent = web.agent({f"tech-{tag}": "ro"})
    admin = web.agent({"admin": "rw", f"sales-{tag}": "rw", f"tech-{tag}": "rw"})
    nobody = web.agent({})
    tickets = {
        "quote": web.deliver(
            mail(f"Quote request {tag}", "Please send a quote for 12 chairs."), queue_id=sales
        ),
        "printer": web.deliver(
            mail(
                f"Printer jam {tag}",
                f"The flux-capacitor-{tag} is jammed again.",
                sender=f"Bob <bob-{tag}@tech.example>",
            ),
            queue_id=tech,
        ),
        "rich": web.deliver(rich_mail(f"Logo trouble {tag}"), queue_id=tech),
    }
    return {
        "tag": tag, "sales": sales, "tech": tech, "sales_agent": sales_agent, "tech_agent": tech_agent,
        "admin": admin, "nobody": nobody, "tickets": tickets,
    }  # fmt: skip


def signed_in(client: Client, who: tuple[str, str]) -> Client:
    assert client.login(*who).status_code == 302
    return client


def text(response: object) -> str:
    return response.get_data(as_text=True)  # type: ignore[attr-defined]


def test_overview_counts_only_the_agents_queues(web: WebEnv, client: Client, desk: dict) -> None:
    page = text(signed_in(client, desk["tech_agent"]).get("/"))
    assert f"Tech {desk['tag']}" in page and f"Sales {desk['tag']}" not in page
    assert re.search(rf'data-count="{desk["tech"]}-new">2<', page)
    assert re.search(rf'data-count="{desk["tech"]}-closed">0<', page)


def test_overview_moves_a_closed_ticket_to_the_closed_column(web: WebEnv, client: Client, desk: dict) -> None:
    ticket = web.deliver(mail("To be closed"), queue_id=desk["sales"])
    with web.services.sessions.begin() as session:
        closed = session.scalar(select(TicketState.id).where(TicketState.name == "closed successful"))
        session.execute(update(Ticket).where(Ticket.id == ticket).values(ticket_state_id=closed))
    page = text(signed_in(client, desk["sales_agent"]).get("/"))
    assert re.search(rf'data-count="{desk["sales"]}-closed">1<', page)


def test_ticket_list_shows_only_permitted_queues(client: Client, desk: dict) -> None:
    page = text(signed_in(client, desk["sales_agent"]).get("/tickets"))
    assert f"Quote request {desk['tag']}" in page
    assert f"Printer jam {desk['tag']}" not in page and f"Logo trouble {desk['tag']}" not in page


def test_a_queue_outside_the_agents_groups_is_forbidden(client: Client, desk: dict) -> None:
    signed_in(client, desk["sales_agent"])
    assert client.get(f"/tickets?queue={desk['tech']}").status_code == 403
    assert client.get(f"/tickets?queue={desk['sales']}").status_code == 200
    assert client.get("/tickets?queue=999999").status_code == 404


def test_tickets_and_files_outside_the_agents_groups_are_not_found(
    web: WebEnv, client: Client, desk: dict
) -> None:
    signed_in(client, desk["sales_agent"])
    rich = desk["tickets"]["rich"]
    with web.services.sessions() as session:
        article_id = session.scalars(select(Article.id).where(Article.ticket_id == rich)).first()
    for path in (
        f"/tickets/{rich}",
        f"/tickets/{rich}/articles/{article_id}/html",
        f"/tickets/{rich}/articles/{article_id}/raw",
        f"/tickets/{desk['tickets']['printer']}",
    ):
        assert client.get(path).status_code == 404, path


def test_an_agent_without_groups_sees_no_tickets(client: Client, desk: dict) -> None:
    signed_in(client, desk["nobody"])
    assert "no queues" in text(client.get("/"))
    assert "No tickets." in text(client.get("/tickets"))


def test_agents_cannot_reach_admin_pages_admins_can(client: Client, desk: dict) -> None:
    signed_in(client, desk["sales_agent"])
    assert client.get("/admin/").status_code == 403
    assert "Admin</a>" not in text(client.get("/"))
    client.post("/logout", data={"csrf_token": client.csrf("/")})
    signed_in(client, desk["admin"])
    assert client.get("/admin/").status_code == 200


def test_list_filters_by_state_and_owner(web: WebEnv, client: Client, desk: dict) -> None:
    signed_in(client, desk["admin"])
    tag = desk["tag"]
    assert f"Quote request {tag}" in text(client.get(f"/tickets?queue={desk['sales']}&state=new"))
    assert f"Quote request {tag}" not in text(client.get(f"/tickets?queue={desk['sales']}&state=open"))
    assert client.get("/tickets?state=bogus").status_code == 400
    quote = desk["tickets"]["quote"]
    admin_id = web.user_id(desk["admin"][0])
    with web.services.sessions.begin() as session:
        session.execute(update(Ticket).where(Ticket.id == quote).values(user_id=admin_id))
    mine = text(client.get("/tickets?owner=me"))
    assert f"Quote request {tag}" in mine and f"Printer jam {tag}" not in mine
    assert f"Quote request {tag}" in text(client.get(f"/tickets?owner={admin_id}"))


def test_list_sorts_and_pages(web: WebEnv, client: Client, desk: dict) -> None:
    tag = uuid.uuid4().hex[:6]
    queue = web.queue(f"sales-{desk['tag']}", f"Paging {tag}")
    for index in range(5):
        web.deliver(mail(f"Paging {tag} {chr(ord('a') + index)}"), queue_id=queue)
    web.app.config["PAGE_SIZE"] = 2
    try:
        signed_in(client, desk["sales_agent"])
        first = text(client.get(f"/tickets?queue={queue}&sort=title&dir=asc"))
        third = text(client.get(f"/tickets?queue={queue}&sort=title&dir=asc&page=3"))
        newest = text(client.get(f"/tickets?queue={queue}&sort=created&dir=desc"))
    finally:
        web.app.config["PAGE_SIZE"] = 50
    titles = lambda page: re.findall(rf"Paging {tag} ([a-e])</a>", page)  # noqa: E731
    assert titles(first) == ["a", "b"] and titles(third) == ["e"]
    assert titles(newest) == ["e", "d"]
    assert "Page 1 of 3" in first and 'rel="next"' in first and 'rel="next"' not in third


@pytest.mark.parametrize("how", ["subject", "sender", "number", "body", "sender-part"])
def test_search_finds_tickets(web: WebEnv, client: Client, desk: dict, how: str) -> None:
    tag = desk["tag"]
    printer = desk["tickets"]["printer"]
    query = {
        "subject": f"Printer jam {tag}",
        "sender": f"bob-{tag}@tech.example",
        "number": web.ticket(printer).tn,
        "body": f"flux-capacitor-{tag}",
        "sender-part": f"bob-{tag}",
    }[how]
    page = text(signed_in(client, desk["admin"]).get("/tickets", query_string={"q": query}))
    assert f"Printer jam {tag}" in page, how
    assert f"Quote request {tag}" not in page


def test_search_respects_permissions(client: Client, desk: dict) -> None:
    page = text(signed_in(client, desk["sales_agent"]).get("/tickets", query_string={"q": "flux-capacitor"}))
    assert f"Printer jam {desk['tag']}" not in page


def test_search_with_like_wildcards_matches_them_literally(client: Client, desk: dict) -> None:
    signed_in(client, desk["admin"])
    assert "No tickets." in text(client.get("/tickets", query_string={"q": "%_%_%zz"}))


def test_ticket_view_shows_the_thread_in_order_with_notes_apart(
    web: WebEnv, client: Client, desk: dict
) -> None:
    quote = desk["tickets"]["quote"]
    with web.services.sessions.begin() as session:
        first = session.scalars(select(Article).where(Article.ticket_id == quote)).first()
        assert first is not None
        note_id = session.execute(
            insert(Article)
            .values(
                ticket_id=quote, article_sender_type_id=1, communication_channel_id=3,
                is_visible_for_customer=0, search_index_needs_rebuild=0, create_time=first.create_time,
                change_time=first.create_time, create_by=1, change_by=1,
            )
            .returning(Article.id)
        ).scalar_one()  # fmt: skip
    page = text(signed_in(client, desk["sales_agent"]).get(f"/tickets/{quote}"))
    assert page.index(f'id="article-{first.id}"') < page.index(f'id="article-{note_id}"')
    assert "sender-customer" in page and "internal note" in page
    assert 'class="article sender-agent internal"' in page
    assert "Please send a quote for 12 chairs." in page


def test_html_body_is_isolated_sanitized_and_inline_images_resolve(
    web: WebEnv, client: Client, desk: dict
) -> None:
    rich = desk["tickets"]["rich"]
    signed_in(client, desk["tech_agent"])
    page = text(client.get(f"/tickets/{rich}"))
    frame = re.search(r'<iframe class="body-html"[^>]*sandbox="([^"]*)"[^>]*src="([^"]+)"', page)
    assert frame and "allow-scripts" not in frame.group(1)
    body = client.get(frame.group(2))
    csp = body.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp and "https:" not in csp
    html = text(body)
    assert "Hello <b>agent</b>" in html
    for bad in ("<script", "onclick", "javascript:", "tracker.example", "p{color:red}"):
        assert bad not in html, bad
    assert "1 remote image blocked" in html, html
    image = re.search(r'<img src="(/tickets/\d+/attachments/\d+/inline)"', html)
    assert image, html
    inline = client.get(image.group(1))
    assert inline.status_code == 200 and inline.data == PNG and inline.mimetype == "image/png"
    assert inline.headers["Content-Disposition"].startswith("inline;")
    remote = client.get(frame.group(2) + "?remote=1")
    assert "https://tracker.example/pixel.gif" in text(remote)
    assert "https:" in remote.headers["Content-Security-Policy"]


def test_attachments_download_with_rfc6266_names(client: Client, desk: dict) -> None:
    rich = desk["tickets"]["rich"]
    page = text(signed_in(client, desk["tech_agent"]).get(f"/tickets/{rich}"))
    link = re.search(r'<a href="(/tickets/\d+/attachments/\d+)" download>Rechnung März.pdf</a>', page)
    assert link, page
    response = client.get(link.group(1))
    assert response.status_code == 200 and response.data == b"%PDF-1.4 fake"
    assert response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="Rechnung Marz.pdf"')
    assert "filename*=UTF-8''Rechnung%20M%C3%A4rz.pdf" in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # a PDF is not an image: the inline URL refuses it
    assert client.get(link.group(1) + "/inline").status_code == 404


def test_raw_mail_downloads_the_bytes_as_received(web: WebEnv, client: Client, desk: dict) -> None:
    printer = desk["tickets"]["printer"]
    with web.services.sessions() as session:
        article_id = session.scalars(select(Article.id).where(Article.ticket_id == printer)).first()
    response = signed_in(client, desk["tech_agent"]).get(f"/tickets/{printer}/articles/{article_id}/raw")
    assert response.status_code == 200 and response.mimetype == "message/rfc822"
    assert f"flux-capacitor-{desk['tag']}".encode() in response.data


def test_pages_carry_strict_security_headers(client: Client, desk: dict) -> None:
    response = signed_in(client, desk["admin"]).get("/tickets")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"


def test_a_huge_body_is_stored_and_searchable(web: WebEnv, client: Client, desk: dict) -> None:
    """The full-text index looks at the first 100,000 characters: a bigger body must not fail the article."""
    marker = f"needle{uuid.uuid4().hex[:8]}"
    words = " ".join(f"w{index}x{uuid.uuid4().hex[:6]}" for index in range(150_000))
    ticket = web.deliver(mail(f"Huge {marker}", f"{marker} {words}"), queue_id=desk["tech"])
    page = text(signed_in(client, desk["tech_agent"]).get("/tickets", query_string={"q": marker}))
    assert f"Huge {marker}" in page and f"/tickets/{ticket}" in page


def test_common_terms_and_capped_searches(
    web: WebEnv, client: Client, desk: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A term in many articles is checked per ticket; a search lists at most SEARCH_CAP tickets."""
    from webui.agent import search

    tag = uuid.uuid4().hex[:8]
    queue = web.queue(f"sales-{desk['tag']}", f"Common {tag}")
    made = [
        web.deliver(mail(f"Common {tag} {n}", f"shared{tag} words {n}"), queue_id=queue) for n in range(4)
    ]
    monkeypatch.setattr(search, "FULL_TEXT_CAP", 2)
    monkeypatch.setattr(search, "SEARCH_CAP", 3)
    signed_in(client, desk["sales_agent"])
    page = text(client.get("/tickets", query_string={"q": f"shared{tag}", "sort": "created", "dir": "asc"}))
    listed = [int(found) for found in re.findall(r'<td class="tn"><a href="/tickets/(\d+)"', page)]
    assert listed == made[:3]
    assert "3+ tickets" in page
