"""The sandboxed template environment: Znuny's tags, both parts, and refusal of unsafe template code."""

from __future__ import annotations

import pytest

from notifier.templates import MailTemplates, TagData, TemplateRejectedError, translate_znuny_tags

ZNUNY_REPLY = """This is a demo text which is send to every inquiry.
It could contain something like:

Thanks for your email. A new ticket has been created.

You wrote:
<OTRS_CUSTOMER_EMAIL[6]>

Your email will be answered by a human ASAP
"""

DATA = TagData(
    ticket={"TicketNumber": "2026112510000017", "TicketID": "17", "Title": "Printer broken", "Queue": "Raw"},
    article={
        "Subject": "[Ticket#2026112510000017] Re: Printer broken in the second floor office",
        "From": "jane@customer.example",
        "FromName": "Jane Doe",
        "Body": "line 1\nline 2 <b>bold</b>\nline 3\nline 4\nline 5\nline 6\nline 7\n",
    },
    customer={"UserFirstname": "Jane", "UserLastname": "Doe", "UserEmail": "jane@customer.example"},
    agent={"UserFirstname": "Admin", "UserLastname": "OTRS"},
    config={"fqdn": "mg.example.org", "databasepw": "secret"},
)


def test_znuny_default_reply_quotes_six_lines() -> None:
    parts = MailTemplates().render_parts(ZNUNY_REPLY, "text/plain", DATA)
    assert (
        "You wrote:\n> line 1\n> line 2 <b>bold</b>\n> line 3\n> line 4\n> line 5\n> line 6\n\nYour"
        in parts.text
    )
    assert "line 7" not in parts.text
    assert '<blockquote type="cite">line 1<br/>line 2 &lt;b&gt;bold&lt;/b&gt;' in parts.html


def test_subject_tag_cuts_and_strips_the_ticket_number() -> None:
    templates = MailTemplates()
    subject = templates.render("RE: <OTRS_CUSTOMER_SUBJECT[24]>", DATA, as_html=False)
    assert subject == "RE: Printer broken in the se [...]"
    assert templates.render("<ZNUNY_CUSTOMER_SUBJECT>", DATA, as_html=False) == (
        "Printer broken in the second floor office"
    )


def test_other_tags_and_their_aliases() -> None:
    templates = MailTemplates()
    source = (
        "Dear <OTRS_CUSTOMER_REALNAME>, <OTRS_TICKET_TicketNumber>/<OTRS_TICKET_ID> in <OTRS_QUEUE>;"
        " <OTRS_CONFIG_FQDN> <OTRS_CONFIG_DatabasePw> <OTRS_Agent_UserFirstname> <OTRS_CURRENT_UserLastname>"
        " <OTRS_CUSTOMER_DATA_UserEmail> <OTRS_NOPE>"
    )
    assert templates.render(source, DATA, as_html=False) == (
        "Dear Jane Doe, 2026112510000017/17 in Raw; mg.example.org - Admin OTRS jane@customer.example -"
    )


def test_html_rows_escape_values_and_derive_text() -> None:
    data = TagData(customer={"UserFirstname": "<script>x</script>"})
    parts = MailTemplates().render_parts("<p>Dear &lt;OTRS_CUSTOMER_REALNAME&gt;,</p>", "text/html", data)
    assert parts.html == "<p>Dear &lt;script&gt;x&lt;/script&gt;,</p>"
    assert parts.text == "Dear <script>x</script>,"


def test_jinja_and_znuny_tags_mix() -> None:
    source = "{{ customer.first_name|upper }} / <OTRS_CUSTOMER_REALNAME> / {{ ticket.number }}"
    assert MailTemplates().render(source, DATA, as_html=False) == "JANE / Jane Doe / 2026112510000017"
    assert translate_znuny_tags("<OTRS_CUSTOMER_EMAIL[6]>") == "{{ znuny_tag('CUSTOMER_EMAIL', '6') }}"


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ ticket.__class__ }}",
        "{{ znuny_tag.__init__.__globals__ }}",
        "{{ cycler.__init__.__globals__.os }}",
        "{% for x in range(10**9) %}{% endfor %}",
        "{{ ticket.clear() }}",
        "{% include '/etc/passwd' %}",
        "{{ 'x' * 10**12 }}",
        "{{ 9 ** 999999 }}",
    ],
)
def test_sandbox_refuses_unsafe_code(source: str) -> None:
    with pytest.raises(TemplateRejectedError):
        MailTemplates().render(source, DATA, as_html=False)


def test_template_lookup_by_queue_and_language(tmp_path: pytest.TempPathFactory) -> None:
    folder = tmp_path  # type: ignore[assignment]
    (folder / "note.de.txt").write_text("Hallo")  # type: ignore[operator]
    (folder / "Raw").mkdir()  # type: ignore[operator]
    (folder / "Raw" / "note.txt").write_text("Raw queue")  # type: ignore[operator]
    templates = MailTemplates(folder, builtins={("note", "en", "txt"): "Hello"})
    assert templates.source("note", "txt", language="de_DE") == "Hallo"
    assert templates.source("note", "txt", language="fr") == "Hello"
    assert templates.source("note", "txt", language="fr", queue="Raw") == "Raw queue"
    assert templates.source("note", "txt", language="de", queue="../etc") == "Hallo"
