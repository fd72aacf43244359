"""Ticket search by the beginning of words on PostgreSQL, safe for any input, still through GIN indexes."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import literal_column, select
from sqlalchemy import text as sqltext

from schema import ArticleDataMime, Ticket
from schema.webui import ARTICLE_SEARCH_DOCUMENT
from tests.webui.support import Client, WebEnv, mail
from webui.agent.search import prefix_tsquery, simple_tsquery, title_document

pytestmark = pytest.mark.integration

HOSTILE = [
    "'", "''", '"', '"unclosed phrase', "it's", "O'Brien", "a:b", "a:*", "foo:A", ":", "::*", "a & b", "&&",
    "a | b", "|", "!", "!!!", "!a", "(a", "a)", "()", "<->", "a <-> b", "a <2> b", "\\", "foo\\", "\\'",
    "C:\\path\\file.txt", "'; DROP TABLE ticket; --", "***", "-", "--", "_", "nul\x00byte", "\x00",
    "Zoë & naïve-café!", "x" * 300,
]  # fmt: skip


@pytest.fixture(scope="module")
def desk(web: WebEnv) -> dict[str, object]:
    """A queue, an agent with rw on it, and tickets whose words only this module uses."""
    tag = uuid.uuid4().hex[:8]
    queue = web.queue(f"prefix-{tag}", f"Prefix {tag}")
    agent = web.agent({f"prefix-{tag}": "rw"})
    printer = web.deliver(
        mail(f"Office {tag}", f"Our kx{tag}printer stopped. The printer is jammed."), queue_id=queue
    )
    scanner = web.deliver(mail(f"Scanner{tag} broken", "It does nothing."), queue_id=queue)
    return {"tag": tag, "agent": agent, "printer": printer, "scanner": scanner}


def listed(client: Client, query: str) -> list[int]:
    """The ticket ids the list shows for a search (the page must be a 200)."""
    response = client.get("/tickets", query_string={"q": query})
    assert response.status_code == 200, (query, response.status_code)
    return [
        int(found)
        for found in re.findall(r'<td class="tn"><a href="/tickets/(\d+)"', response.get_data(as_text=True))
    ]


@pytest.fixture
def agent(client: Client, desk: dict) -> Client:
    assert client.login(*desk["agent"]).status_code == 302
    return client


def test_the_beginning_of_a_word_finds_it(agent: Client, desk: dict) -> None:
    tag = desk["tag"]
    assert desk["printer"] in listed(agent, "print")  # the body says "printer"
    assert listed(agent, f"kx{tag}print") == [desk["printer"]]
    assert listed(agent, f"KX{tag}PRINT") == [desk["printer"]]
    assert listed(agent, f"scanner{tag[:5]}") == [desk["scanner"]]  # in the title


def test_every_word_must_match(agent: Client, desk: dict, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite looks for the whole text as one substring")
    tag = desk["tag"]
    assert listed(agent, f"kx{tag}print stop") == [desk["printer"]]
    assert listed(agent, f"kx{tag}print nowhere{tag}") == []


def test_operators_in_the_text_are_only_text(agent: Client, desk: dict, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite looks for the whole text as one substring")
    tag = desk["tag"]
    for query in (
        f"(kx{tag}print)",
        f"kx{tag}print!",
        f"kx{tag}print:*",
        f"'kx{tag}print'",
        f"!kx{tag}print",
    ):
        assert listed(agent, query) == [desk["printer"]], query
    assert listed(agent, f"kx{tag}print | nowhere{tag}") == [], "| is no OR"


def test_or_and_minus_as_in_web_search(agent: Client, desk: dict, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite looks for the whole text as one substring")
    tag = desk["tag"]
    printer, scanner = desk["printer"], desk["scanner"]
    assert sorted(listed(agent, f"kx{tag}print or scanner{tag}")) == sorted([printer, scanner])
    assert listed(agent, f"kx{tag}print OR nowhere{tag}") == [printer]
    assert listed(agent, f"kx{tag}print -jammed") == []
    assert listed(agent, f"scanner{tag} -jammed") == [scanner]
    assert listed(agent, f'"kx{tag}printer stopped" or scanner{tag} -jammed') == [scanner]


@pytest.mark.parametrize("query", HOSTILE)
def test_any_text_gives_a_page_not_an_error(agent: Client, query: str) -> None:
    listed(agent, query)


def test_prefix_tsquery_quotes_each_cleaned_term() -> None:
    assert prefix_tsquery("print") == "'print':*"
    assert prefix_tsquery('bob@x.example "paper jam" it\'s') == "'bob@x.example':* & 'paper jam':* & 'it s':*"
    assert prefix_tsquery("a:b & c\\d | !(e)") == "'a b':* & 'c d':* & 'e':*"
    for nothing in ("", "   ", "!!!", "&|:*()<>", "'\"\\", "- _ --", "\x00"):
        assert prefix_tsquery(nothing) == "", nothing
    assert prefix_tsquery(" ".join(f"w{n}" for n in range(40))).count("&") == 15
    assert prefix_tsquery("a or b c") == "'a':* | 'b':* & 'c':*"
    assert prefix_tsquery('"paper jam" OR toner -laser') == "('paper jam':* | 'toner':*) & !'laser':*"
    assert prefix_tsquery("or a or") == "'a':*"
    assert prefix_tsquery("-laser") == ""  # nothing to include: no search that lists every ticket
    assert prefix_tsquery("e-mail -") == "'e-mail':*"


def test_postgresql_prefix_search_uses_the_full_text_indexes(web: WebEnv, backend: str) -> None:
    """The prefix query still matches the GIN index expressions of migration znuny_0004."""
    if backend != "postgresql":
        pytest.skip("full-text indexes are PostgreSQL's")
    query = simple_tsquery(prefix_tsquery("print"))
    with web.services.sessions() as session:
        session.execute(sqltext("SET LOCAL enable_seqscan = off"))
        for statement, index in (
            (select(Ticket.id).where(title_document().op("@@")(query)), "mailgate_ticket_title_search"),
            (
                select(ArticleDataMime.id).where(literal_column(ARTICLE_SEARCH_DOCUMENT).op("@@")(query)),
                "mailgate_article_search",
            ),
        ):
            compiled = statement.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
            plan = "\n".join(session.execute(sqltext(f"EXPLAIN {compiled}")).scalars())
            assert f"Bitmap Index Scan on {index}" in plan, plan
            assert "''print'':*" in plan, plan  # the constant tsquery 'print':*, quoted


def test_a_common_word_counts_as_common_when_searched_by_prefix(
    web: WebEnv, desk: dict, backend: str
) -> None:
    """Knowing few words, PostgreSQL guesses 2 % for any prefix; the whole word's estimate counts too."""
    if backend != "postgresql":
        pytest.skip("planner estimates are PostgreSQL's")
    from webui.agent.search import _estimated_matches

    word = f"everywhere{desk['tag']}"
    for n in range(25):
        web.deliver(mail(f"Common {n}", f"The {word} problem again."))
    with web.services.sessions() as session:
        session.execute(sqltext("ANALYZE article_data_mime"))
        assert _estimated_matches(session, prefix_tsquery(word)) >= 20
