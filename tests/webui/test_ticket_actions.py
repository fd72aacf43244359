"""Ticket actions through the Flask test client on both backends: what each writes, and who may do it."""

from __future__ import annotations

import io
import json
import uuid
from email.message import EmailMessage

import pytest
from sqlalchemy import insert, select, update

from mailgate.ticketnumber import DEFAULT_STYLE
from schema import (
    Article,
    ArticleDataMime,
    ArticleDataMimeAttachment,
    Queue,
    QueueStandardTemplate,
    StandardTemplate,
    TicketHistory,
    TicketHistoryType,
    TicketLockType,
    TicketPriority,
    TicketState,
)
from schema.outbox import OutboxMail
from tests.webui.support import Client, WebEnv, mail

pytestmark = pytest.mark.integration

AUDIT = {"create_by": 1, "change_by": 1}


@pytest.fixture(scope="module")
def desk(web: WebEnv) -> dict[str, object]:
    """Two queues of two groups (the second with a first-response target); rw, ro and outside agents."""
    tag = uuid.uuid4().hex[:6]
    first = web.queue(f"first-{tag}", f"First {tag}")
    second = web.queue(f"second-{tag}", f"Second {tag}")
    with web.services.sessions.begin() as session:
        session.execute(update(Queue).where(Queue.id == first).values(first_response_time=60))
    return {
        "tag": tag, "first": first, "second": second,
        "rw": web.agent({f"first-{tag}": "rw", f"second-{tag}": "rw"}),
        "rw_first_only": web.agent({f"first-{tag}": "rw", f"second-{tag}": "ro"}),
        "ro": web.agent({f"first-{tag}": "ro"}),
        "owner_only": web.agent({f"first-{tag}": "owner"}),
        "outsider": web.agent({}),
    }  # fmt: skip


def signed_in(client: Client, who: object) -> Client:
    login, password = who  # type: ignore[misc]
    assert client.login(login, password).status_code == 302
    return client


def new_ticket(web: WebEnv, desk: dict[str, object], **kwargs: object) -> int:
    return web.deliver(mail(**kwargs), queue_id=desk["first"])  # type: ignore[arg-type]


def history(web: WebEnv, ticket_id: int) -> list[tuple[str, str]]:
    with web.services.sessions() as session:
        rows = session.execute(
            select(TicketHistoryType.name, TicketHistory.name)
            .join(TicketHistoryType, TicketHistoryType.id == TicketHistory.history_type_id)
            .where(TicketHistory.ticket_id == ticket_id)
            .order_by(TicketHistory.id)
        )
        return [(kind, name) for kind, name in rows]


def lookup(web: WebEnv, model: type, name: str) -> int:
    with web.services.sessions() as session:
        return int(session.scalars(select(model.id).where(model.name == name)).one())  # type: ignore[attr-defined]


def post(client: Client, ticket_id: int, action: str, **data: object) -> object:
    token = client.csrf(f"/tickets/{ticket_id}")
    return client.post(f"/tickets/{ticket_id}/{action}", data={"csrf_token": token, **data})


def test_reply_stores_the_answer_with_its_file_queues_it_and_ends_the_first_response_clock(
    web: WebEnv, client: Client, desk: dict[str, object]
) -> None:
    parcel = mail(subject="Reply me", body="Where is my parcel?")
    ticket_id = web.deliver(parcel, queue_id=desk["second"])  # type: ignore[arg-type]
    assert web.ticket(ticket_id).escalation_response_time == 0  # no target in the second queue
    signed_in(client, desk["rw"])
    post(client, ticket_id, "queue", queue_id=desk["first"])  # the move brings the 60-minute target
    assert web.ticket(ticket_id).escalation_response_time > 0
    form = client.get(f"/tickets/{ticket_id}/reply").get_data(as_text=True)
    assert "jane@customer.example" in form and "&gt; Where is my parcel?" in form
    token = client.csrf(f"/tickets/{ticket_id}/reply")
    response = client.post(
        f"/tickets/{ticket_id}/reply",
        data={
            "csrf_token": token, "to": "Jane Doe <jane@customer.example>", "cc": "boss@customer.example",
            "text": "It is on its way.", "attachments": (io.BytesIO(b"tracking 42"), "tracking.txt"),
            "next_state_id": str(lookup(web, TicketState, "open")),
        },
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 302
    with web.services.sessions() as session:
        article = session.scalars(
            select(Article).where(Article.ticket_id == ticket_id).order_by(Article.id.desc())
        ).first()
        assert article is not None and article.is_visible_for_customer == 1
        mime = session.scalars(select(ArticleDataMime).where(ArticleDataMime.article_id == article.id)).one()
        assert mime.a_body == "It is on its way." and "jane@customer.example" in (mime.a_to or "")
        assert mime.a_cc == "boss@customer.example"
        files = session.scalars(
            select(ArticleDataMimeAttachment.filename).where(
                ArticleDataMimeAttachment.article_id == article.id
            )
        ).all()
        assert files == ["tracking.txt"]
        outbox = session.scalars(select(OutboxMail).where(OutboxMail.article_id == article.id)).one()
        assert json.loads(outbox.recipients) == ["jane@customer.example", "boss@customer.example"]
        assert outbox.state == "pending"
    assert [kind for kind, _ in history(web, ticket_id)[-2:]] == ["SendAnswer", "StateUpdate"]
    ticket = web.ticket(ticket_id)
    assert ticket.ticket_state_id == lookup(web, TicketState, "open")  # open: the SLA clock still runs
    assert ticket.escalation_response_time == 0  # but the first response is given


def test_reply_without_recipient_or_text_is_refused_and_writes_nothing(
    web: WebEnv, client: Client, desk: dict[str, object]
) -> None:
    ticket_id = new_ticket(web, desk)
    signed_in(client, desk["rw"])
    before = history(web, ticket_id)
    token = client.csrf(f"/tickets/{ticket_id}/reply")
    bad_address = client.post(
        f"/tickets/{ticket_id}/reply", data={"csrf_token": token, "to": "not an address", "text": "Hi"}
    )
    assert bad_address.status_code == 400 and "not a mail address" in bad_address.get_data(as_text=True)
    empty = client.post(
        f"/tickets/{ticket_id}/reply", data={"csrf_token": token, "to": "a@b.example", "text": "  "}
    )
    assert empty.status_code == 400
    assert history(web, ticket_id) == before


def test_note_is_internal_and_sends_nothing(web: WebEnv, client: Client, desk: dict[str, object]) -> None:
    ticket_id = new_ticket(web, desk)
    signed_in(client, desk["rw"])
    assert post(client, ticket_id, "note", text="Called the customer.").status_code == 302  # type: ignore[attr-defined]
    with web.services.sessions() as session:
        article = session.scalars(
            select(Article).where(Article.ticket_id == ticket_id).order_by(Article.id.desc())
        ).first()
        assert article is not None and article.is_visible_for_customer == 0
        assert session.scalars(select(OutboxMail).where(OutboxMail.article_id == article.id)).all() == []
    assert history(web, ticket_id)[-1] == ("AddNote", "%%Note")
    page = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert "internal note" in page and "Called the customer." in page


def test_forward_sends_the_article_with_its_files_to_any_address(
    web: WebEnv, client: Client, desk: dict[str, object]
) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "jane@customer.example", "support@example.org", "Invoice"
    msg["Message-ID"] = f"<{uuid.uuid4().hex}@customer.example>"
    msg.set_content("See the invoice.")
    msg.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="invoice.pdf")
    ticket_id = web.deliver(msg.as_bytes(), queue_id=desk["first"])  # type: ignore[arg-type]
    signed_in(client, desk["rw"])
    with web.services.sessions() as session:
        original = session.scalars(select(Article.id).where(Article.ticket_id == ticket_id)).first()
    form = client.get(f"/tickets/{ticket_id}/forward?article={original}").get_data(as_text=True)
    assert f'name="article" value="{original}"' in form
    response = post(
        client, ticket_id, "forward", article=original, to="Accounting <acc@partner.example>", text="FYI"
    )
    assert response.status_code == 302  # type: ignore[attr-defined]
    with web.services.sessions() as session:
        article_id = session.scalars(
            select(Article.id).where(Article.ticket_id == ticket_id).order_by(Article.id.desc())
        ).first()
        mime = session.scalars(select(ArticleDataMime).where(ArticleDataMime.article_id == article_id)).one()
        assert mime.a_to == "Accounting <acc@partner.example>"
        assert (mime.a_subject or "").startswith(f"{DEFAULT_STYLE.forward_prefix}: [Ticket#")
        assert (mime.a_body or "").startswith("FYI") and "See the invoice." in (mime.a_body or "")
        files = session.scalars(
            select(ArticleDataMimeAttachment.filename).where(
                ArticleDataMimeAttachment.article_id == article_id
            )
        ).all()
        assert "invoice.pdf" in files
        outbox = session.scalars(select(OutboxMail).where(OutboxMail.article_id == article_id)).one()
        assert json.loads(outbox.recipients) == ["acc@partner.example"]
    assert history(web, ticket_id)[-1] == ("Forward", "%%Accounting <acc@partner.example>")


def test_state_changes_with_pending_time_and_close_unlocks(
    web: WebEnv, client: Client, desk: dict[str, object]
) -> None:
    ticket_id = new_ticket(web, desk)
    signed_in(client, desk["rw"])
    pending = lookup(web, TicketState, "pending reminder")
    assert post(client, ticket_id, "state", state_id=pending).status_code == 302  # type: ignore[attr-defined]
    assert web.ticket(ticket_id).ticket_state_id != pending  # refused: no pending time
    post(client, ticket_id, "state", state_id=pending, pending_until="2030-01-02T09:30")
    ticket = web.ticket(ticket_id)
    assert ticket.ticket_state_id == pending and ticket.until_time > 0 and ticket.escalation_time == 0
    assert history(web, ticket_id)[-2:] == [
        ("StateUpdate", "%%new%%pending reminder%%"),
        ("SetPendingTime", "%%2030-01-02 09:30:00"),
    ]
    post(client, ticket_id, "lock")
    assert web.ticket(ticket_id).ticket_lock_id == lookup(web, TicketLockType, "lock")
    post(client, ticket_id, "state", state_id=lookup(web, TicketState, "closed successful"))
    ticket = web.ticket(ticket_id)
    assert ticket.until_time == 0 and ticket.ticket_lock_id == lookup(web, TicketLockType, "unlock")
    kinds = [kind for kind, _ in history(web, ticket_id)[-3:]]
    assert kinds == ["StateUpdate", "SetPendingTime", "Unlock"]


def test_priority_queue_owner_lock_and_unlock(web: WebEnv, client: Client, desk: dict[str, object]) -> None:
    ticket_id = new_ticket(web, desk)
    signed_in(client, desk["rw"])
    high = lookup(web, TicketPriority, "5 very high")
    post(client, ticket_id, "priority", priority_id=high)
    assert web.ticket(ticket_id).ticket_priority_id == high
    assert history(web, ticket_id)[-1] == ("PriorityUpdate", f"%%3 normal%%3%%5 very high%%{high}")
    post(client, ticket_id, "lock")
    me = web.user_id(desk["rw"][0])  # type: ignore[index]
    assert web.ticket(ticket_id).user_id == me
    assert [kind for kind, _ in history(web, ticket_id)[-2:]] == ["Lock", "OwnerUpdate"]
    post(client, ticket_id, "unlock")
    assert history(web, ticket_id)[-1] == ("Unlock", "%%unlock")
    other = desk["rw_first_only"]
    post(client, ticket_id, "owner", owner_id=web.user_id(other[0]))  # type: ignore[index]
    assert web.ticket(ticket_id).user_id == web.user_id(other[0])  # type: ignore[index]
    assert history(web, ticket_id)[-1] == ("OwnerUpdate", f"%%{other[0]}%%{web.user_id(other[0])}")  # type: ignore[index]
    post(client, ticket_id, "owner", owner_id=web.user_id(desk["ro"][0]))  # type: ignore[index]
    assert web.ticket(ticket_id).user_id == web.user_id(other[0])  # type: ignore[index]  # ro agent refused
    post(client, ticket_id, "queue", queue_id=desk["second"])
    assert web.ticket(ticket_id).queue_id == desk["second"]
    assert history(web, ticket_id)[-1] == (
        "Move", f"%%Second {desk['tag']}%%{desk['second']}%%First {desk['tag']}%%{desk['first']}",
    )  # fmt: skip


def test_an_agent_with_the_owner_permission_may_own_a_ticket(
    web: WebEnv, client: Client, desk: dict[str, object]
) -> None:
    """Znuny's owner key (without rw) is enough to be offered and made owner; ro is not."""
    ticket_id = new_ticket(web, desk)
    owner_login = desk["owner_only"][0]  # type: ignore[index]
    page = signed_in(client, desk["rw"]).get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert f"({owner_login})" in page
    assert f"({desk['ro'][0]})" not in page  # type: ignore[index]
    post(client, ticket_id, "owner", owner_id=web.user_id(owner_login))
    assert web.ticket(ticket_id).user_id == web.user_id(owner_login)


def test_moving_needs_rw_on_the_target_queue(web: WebEnv, client: Client, desk: dict[str, object]) -> None:
    ticket_id = new_ticket(web, desk)
    signed_in(client, desk["rw_first_only"])
    response = post(client, ticket_id, "queue", queue_id=desk["second"])
    assert response.status_code == 403  # type: ignore[attr-defined]
    assert web.ticket(ticket_id).queue_id == desk["first"]


def test_merge_moves_articles_and_follow_ups_thread_to_the_target(
    web: WebEnv, client: Client, desk: dict[str, object]
) -> None:
    source_mail = mail(subject="Duplicate question", body="Same again")
    source_id = web.deliver(source_mail, queue_id=desk["first"])  # type: ignore[arg-type]
    target_id = new_ticket(web, desk, subject="Original question")
    source, target = web.ticket(source_id), web.ticket(target_id)
    signed_in(client, desk["rw"])
    response = post(client, source_id, "merge", target_tn=target.tn)
    assert response.headers["Location"].endswith(f"/tickets/{target_id}")  # type: ignore[attr-defined]
    with web.services.sessions() as session:
        left = session.scalars(select(Article.id).where(Article.ticket_id == source_id)).all()
        assert len(left) == 1  # only Znuny's merge note stays
        note = session.scalars(
            select(ArticleDataMime.a_body).where(ArticleDataMime.article_id == left[0])
        ).one()
        assert note == f"Merged Ticket {source.tn} to {target.tn}."
        assert len(session.scalars(select(Article.id).where(Article.ticket_id == target_id)).all()) == 2
    assert web.ticket(source_id).ticket_state_id == lookup(web, TicketState, "merged")
    merged = ("Merged", f"%%{source.tn}%%{source_id}%%{target.tn}%%{target_id}")
    assert merged in history(web, source_id) and merged in history(web, target_id)
    message_id = source_mail.split(b"Message-ID: ")[1].split(b"\r\n")[0].decode()
    by_reference = mail(
        subject="Re: Duplicate question", body="Any news?", extra_headers=(f"In-Reply-To: {message_id}",)
    )
    assert web.deliver(by_reference) == target_id
    by_number = mail(subject=f"Re: [Ticket#{source.tn}] Duplicate question", body="Hello?")
    assert web.deliver(by_number) == target_id
    again = post(client, source_id, "merge", target_tn=target.tn)  # already merged: refused, nothing changes
    assert again.headers["Location"].endswith(f"/tickets/{source_id}")  # type: ignore[attr-defined]
    final_id = new_ticket(web, desk, subject="Even older question")
    post(client, target_id, "merge", target_tn=web.ticket(final_id).tn)  # a chain: source -> target -> final
    chained = mail(subject=f"Re: [Ticket#{source.tn}] Duplicate question", body="Still waiting.")
    assert web.deliver(chained) == final_id


def test_canned_responses_of_the_queue_fill_the_reply_box(
    web: WebEnv, client: Client, desk: dict[str, object]
) -> None:
    ticket_id = new_ticket(web, desk)
    with web.services.sessions.begin() as session:
        now = web.ticket(ticket_id).create_time
        ids = []
        for name, text, kind in (
            (f"Thanks {desk['tag']}", "<p>Dear &lt;OTRS_CUSTOMER_REALNAME&gt;, thank you.</p>", "Answer"),
            (f"Hidden {desk['tag']}", "never offered for answers", "Forward"),
        ):
            ids.append(
                session.execute(
                    insert(StandardTemplate).values(
                        name=name, text=text, content_type="text/html", template_type=kind, valid_id=1,
                        create_time=now, change_time=now, **AUDIT,
                    ).returning(StandardTemplate.id)
                ).scalar_one()
            )  # fmt: skip
            session.execute(
                insert(QueueStandardTemplate).values(
                    queue_id=desk["first"],
                    standard_template_id=ids[-1],
                    create_time=now,
                    change_time=now,
                    **AUDIT,
                )
            )
    signed_in(client, desk["rw"])
    page = client.get(f"/tickets/{ticket_id}/reply").get_data(as_text=True)
    assert f"Thanks {desk['tag']}" in page and f"Hidden {desk['tag']}" not in page
    filled = client.get(f"/tickets/{ticket_id}/reply?template={ids[0]}").get_data(as_text=True)
    assert "Dear Jane Doe, thank you." in filled.split("<textarea")[1]


def test_the_ticket_view_offers_actions_only_with_rw(web: WebEnv, desk: dict[str, object]) -> None:
    ticket_id = new_ticket(web, desk)
    for who, offered in (("rw", True), ("ro", False)):
        client = web.app.test_client()
        signed_in(client, desk[who])  # type: ignore[arg-type]
        page = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
        assert ('id="action-reply"' in page) is offered
        assert ('id="form-merge"' in page) is offered


ACTIONS: list[tuple[str, str, dict[str, object]]] = [
    ("get", "reply", {}), ("post", "reply", {"to": "x@y.example", "text": "hi"}), ("get", "note", {}),
    ("post", "note", {"text": "hi"}), ("get", "forward", {}), ("post", "forward", {"to": "x@y.example"}),
    ("post", "state", {"state_id": 2}), ("post", "priority", {"priority_id": 5}),
    ("post", "queue", {"queue_id": 1}), ("post", "owner", {"owner_id": 1}), ("post", "lock", {}),
    ("post", "unlock", {}), ("post", "merge", {"target_tn": "1"}),
]  # fmt: skip


@pytest.mark.parametrize("who", ["ro", "outsider"])
def test_agents_without_rw_cannot_act(web: WebEnv, client: Client, desk: dict[str, object], who: str) -> None:
    ticket_id = new_ticket(web, desk)
    signed_in(client, desk[who])
    token = client.csrf("/")
    before = (history(web, ticket_id), web.ticket(ticket_id).change_time)
    for method, action, data in ACTIONS:
        response = client.open(
            f"/tickets/{ticket_id}/{action}", method=method.upper(), data={"csrf_token": token, **data}
        )
        assert response.status_code == 404, (who, action, response.status_code)
    assert (history(web, ticket_id), web.ticket(ticket_id).change_time) == before


def test_every_action_refuses_a_missing_csrf_token(
    web: WebEnv, client: Client, desk: dict[str, object]
) -> None:
    ticket_id = new_ticket(web, desk)
    signed_in(client, desk["rw"])
    before = history(web, ticket_id)
    for method, action, data in ACTIONS:
        if method == "post":
            response = client.post(f"/tickets/{ticket_id}/{action}", data=data)
            assert response.status_code == 400, action
    assert history(web, ticket_id) == before


def test_live_changes_counts_new_and_changed_tickets_in_visible_queues(
    web: WebEnv, client: Client, desk: dict[str, object]
) -> None:
    old = new_ticket(web, desk)
    signed_in(client, desk["ro"])
    cursor = client.get("/live/changes").get_json()
    assert cursor["new"] == 0 and set(cursor["cursor"]) == {"h", "t"}
    query = f"/live/changes?h={cursor['cursor']['h']}&t={cursor['cursor']['t']}"
    assert client.get(query).get_json() | {"cursor": None} == {"cursor": None, "new": 0, "changed": 0}
    new_ticket(web, desk)
    new_ticket(web, desk)
    web.deliver(mail(subject="Elsewhere"), queue_id=desk["second"])  # type: ignore[arg-type]  # not visible to ro
    writer = web.app.test_client()
    signed_in(writer, desk["rw"])
    post(writer, old, "priority", priority_id=lookup(web, TicketPriority, "4 high"))
    found = client.get(query).get_json()
    assert (found["new"], found["changed"]) == (2, 1)
    assert client.get(f"{query}&queue={desk['second']}").status_code == 403
    page = client.get("/tickets").get_data(as_text=True)
    assert 'id="live-banner"' in page and "live.js" in page
