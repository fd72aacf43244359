"""Ticket list queries: filters, search (PostgreSQL full text, LIKE elsewhere), sorting and paging."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, literal_column, or_, select
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from schema import Article, ArticleDataMime, Queue, Ticket, TicketPriority, TicketState, User
from schema.webui import ARTICLE_SEARCH_DOCUMENT

TSQUERY_SYNTAX = re.compile(r"[&|!():*<>'\"\\\x00]")  # to_tsquery's operators, quotes and escapes (and NUL)
SEARCH_TERM = re.compile(r'"([^"]*)"|([^\s"]+)')  # a "quoted phrase" or a word
MAX_TERMS = 16
TICKET_NUMBER = re.compile(r"^\s*(?:ticket\s*#?\s*:?\s*)?(\d{4,50})\s*$", re.IGNORECASE)
SORTS = {
    "created": Ticket.create_time,
    "changed": Ticket.change_time,
    "tn": Ticket.tn,
    "title": Ticket.title,
    "priority": Ticket.ticket_priority_id,
}
DEFAULT_SORT = "created"
MAX_QUERY = 200
SEARCH_CAP = 500  # a search lists at most this many tickets (the first by the chosen order)
FULL_TEXT_CAP = 2000  # articles looked up in the full-text index before a term counts as common
COMMON_ESTIMATE = 20_000  # a term the planner expects in more articles is common (unknown terms: ~0.5 %)


@dataclass(frozen=True, slots=True)
class TicketQuery:
    """What a ticket list shows: allowed queues, filters, search text, order and page (from 1)."""

    queue_ids: tuple[int, ...]
    state_ids: tuple[int, ...] | None = None
    owner_id: int | None = None
    text: str = ""
    sort: str = DEFAULT_SORT
    descending: bool = True
    page: int = 1
    page_size: int = 50


@dataclass(frozen=True, slots=True)
class TicketRow:
    """One line of a ticket list."""

    id: int
    tn: str
    title: str
    queue: str
    state: str
    priority: str
    priority_id: int
    owner: str
    customer: str
    created: datetime
    changed: datetime


@dataclass(frozen=True, slots=True)
class TicketPage:
    """A page of a ticket list with the total count of matching tickets."""

    rows: list[TicketRow]
    total: int
    page: int
    page_size: int
    capped: bool = False  # a search with more than SEARCH_CAP matches: total is the cap

    @property
    def pages(self) -> int:
        """Number of pages (at least 1)."""
        return max(1, -(-self.total // self.page_size))


def text_condition(session: Session, text: str) -> ColumnElement[bool]:
    """Tickets matching `text`: by ticket number, title, customer, or an article's sender, subject or body.

    PostgreSQL matches words by their beginning (full-text search, 'simple' configuration: any language,
    no stemming; see prefix_tsquery) through GIN indexes; elsewhere every part is a case-insensitive
    substring match.
    """
    text = text.replace("\x00", "").strip()[:MAX_QUERY]
    number = TICKET_NUMBER.match(text)
    conditions: list[ColumnElement[bool]] = [Ticket.tn == number.group(1)] if number else []
    if session.get_bind().dialect.name == "postgresql":
        conditions.append(Ticket.customer_user_id == text)
        tsquery = prefix_tsquery(text)
        if tsquery:
            conditions.append(title_document().op("@@")(simple_tsquery(tsquery)))
            conditions.append(_full_text(session, tsquery))
    else:
        conditions.append(Ticket.title.icontains(text, autoescape=True))
        conditions.append(Ticket.customer_user_id.icontains(text, autoescape=True))
        conditions.append(_like_articles(text))
    return or_(*conditions)


def prefix_tsquery(text: str) -> str:
    """to_tsquery input for `text`: every word (or "quoted phrase") must match, each as a word's beginning.

    As in web search engines, `or` between two terms lets either match and a leading `-` excludes a word
    (ignored when nothing is left to include). The user's text never becomes tsquery syntax: each term
    loses to_tsquery's operators, quotes and backslashes and is then written as one quoted lexeme with
    the prefix mark (`'print':*`), which PostgreSQL splits with the same parser as the documents (e-mail
    addresses, hyphenated words). Terms without a letter or digit are left out; an empty string means
    nothing is left to search for.
    """
    included: list[str] = []
    excluded: list[str] = []
    either = False
    for phrase, word in SEARCH_TERM.findall(text):
        if not phrase and word.lower() == "or":
            either = bool(included)
            continue
        negated = not phrase and word.startswith("-")
        cleaned = " ".join(TSQUERY_SYNTAX.sub(" ", phrase or word.lstrip("-")).split())
        if not any(char.isalnum() for char in cleaned) or len(included) + len(excluded) >= MAX_TERMS:
            continue
        if negated:
            excluded.append(f"!'{cleaned}':*")
        else:
            included.append(f"{' | ' if either else ' & '}'{cleaned}':*")
        either = False
    if not included:
        return ""
    wanted = "".join(included)[3:]
    if not excluded:
        return wanted
    return f"({wanted})" + "".join(f" & {term}" for term in excluded)


def simple_tsquery(tsquery: str) -> ColumnElement[Any]:
    """to_tsquery('simple', tsquery) with the text as a bound parameter."""
    return func.to_tsquery(literal_column("'simple'::regconfig"), tsquery)


def title_document() -> ColumnElement[Any]:
    """schema.webui.TICKET_TITLE_DOCUMENT with the column qualified (users has a title too)."""
    simple: ColumnElement[Any] = literal_column("'simple'::regconfig")
    return func.to_tsvector(simple, func.coalesce(Ticket.title, literal_column("''")))


def _full_text(session: Session, tsquery: str) -> ColumnElement[bool]:
    """PostgreSQL: articles whose search document (GIN index mailgate_article_search) matches `tsquery`.

    A rare term is looked up once in the index and becomes a list of ticket ids. A common one (by the
    planner's estimate, or more than FULL_TEXT_CAP articles found) is checked per ticket instead (EXISTS
    on the ticket's few articles), so that a list sorted and cut to a page stops after the first matches
    rather than collecting hundreds of thousands of them. OFFSET 0 keeps that EXISTS a per-ticket check
    even where the planner underestimates the term (prefixes) and would rather join every match.
    """
    document: ColumnElement[Any] = literal_column(ARTICLE_SEARCH_DOCUMENT)
    matches = document.op("@@")(simple_tsquery(tsquery))
    per_ticket = exists(
        select(Article.id)
        .join(ArticleDataMime, ArticleDataMime.article_id == Article.id)
        .where(Article.ticket_id == Ticket.id, matches)
        .offset(0)  # an optimisation fence: PostgreSQL does not turn this EXISTS into a join
    )
    if _estimated_matches(session, tsquery) > COMMON_ESTIMATE:
        return per_ticket
    found = session.scalars(
        select(Article.ticket_id)
        .join(ArticleDataMime, ArticleDataMime.article_id == Article.id)
        .where(matches)
        .limit(FULL_TEXT_CAP + 1)
    ).all()
    return Ticket.id.in_(sorted(set(found))) if len(found) <= FULL_TEXT_CAP else per_ticket


def _estimated_matches(session: Session, tsquery: str) -> int:
    """The planner's estimate of the articles matching `tsquery` (from the index's statistics; no scan).

    The larger of the estimates for the prefixes and for the whole words (the prefixes match at least what
    the words match): with fewer than 100 frequent words in its statistics PostgreSQL guesses a flat 2 %
    for any prefix, however common the word.
    """
    words = tsquery.replace(":*", "")  # the terms are quoted and hold no ':' or '*' of their own
    return max(_planned_rows(session, tsquery), _planned_rows(session, words))


def _planned_rows(session: Session, tsquery: str) -> int:
    plan = session.execute(
        sql_text(
            "EXPLAIN (FORMAT JSON) SELECT 1 FROM article_data_mime WHERE "
            f"{ARTICLE_SEARCH_DOCUMENT} @@ to_tsquery('simple'::regconfig, :query)"
        ),
        {"query": tsquery},
    ).scalar_one()
    document = json.loads(plan) if isinstance(plan, str) else plan
    return int(document[0]["Plan"]["Plan Rows"])


def _like_articles(text: str) -> ColumnElement[bool]:
    """SQLite (and any other backend): a substring of an article's sender, subject or body."""
    return exists(
        select(Article.id)
        .join(ArticleDataMime, ArticleDataMime.article_id == Article.id)
        .where(Article.ticket_id == Ticket.id)
        .where(
            or_(
                ArticleDataMime.a_from.icontains(text, autoescape=True),
                ArticleDataMime.a_subject.icontains(text, autoescape=True),
                ArticleDataMime.a_body.icontains(text, autoescape=True),
            )
        )
    )


def _filters(session: Session, query: TicketQuery) -> list[ColumnElement[bool]]:
    filters: list[ColumnElement[bool]] = [Ticket.queue_id.in_(query.queue_ids)]
    if query.state_ids is not None:
        filters.append(Ticket.ticket_state_id.in_(query.state_ids))
    if query.owner_id is not None:
        filters.append(Ticket.user_id == query.owner_id)
    if query.text.strip():
        filters.append(text_condition(session, query.text))
    return filters


def _rows_select(query: TicketQuery, where: ColumnElement[bool]) -> Select[*tuple[Any, ...]]:
    column = SORTS.get(query.sort, SORTS[DEFAULT_SORT])
    order = (column.desc(), Ticket.id.desc()) if query.descending else (column.asc(), Ticket.id.asc())
    return (
        select(
            Ticket.id, Ticket.tn, Ticket.title, Queue.name, TicketState.name, TicketPriority.name,
            Ticket.ticket_priority_id, User.login, Ticket.customer_user_id, Ticket.create_time,
            Ticket.change_time,
        )
        .join(Queue, Queue.id == Ticket.queue_id)
        .join(TicketState, TicketState.id == Ticket.ticket_state_id)
        .join(TicketPriority, TicketPriority.id == Ticket.ticket_priority_id)
        .join(User, User.id == Ticket.user_id)
        .where(where)
        .order_by(*order)
        .limit(query.page_size)
        .offset((max(query.page, 1) - 1) * query.page_size)
    )  # fmt: skip


def _row(r: Any) -> TicketRow:
    return TicketRow(
        id=r[0], tn=r[1], title=r[2] or "", queue=r[3], state=r[4], priority=r[5], priority_id=r[6],
        owner=r[7], customer=r[8] or "", created=r[9], changed=r[10],
    )  # fmt: skip


def find_tickets(session: Session, query: TicketQuery) -> TicketPage:
    """One page of the tickets matching the query, newest first by default, and how many match."""
    if not query.queue_ids:
        return TicketPage([], 0, 1, query.page_size)
    if query.text.strip():
        return _search(session, query)
    where = and_(*_filters(session, query))
    total = session.scalar(select(func.count()).select_from(Ticket).where(where)) or 0
    rows = [_row(r) for r in session.execute(_rows_select(query, where))]
    return TicketPage(rows, total, max(query.page, 1), query.page_size)


def _search(session: Session, query: TicketQuery) -> TicketPage:
    """A search: the ids of the first SEARCH_CAP matches in list order (one pass), then the page's rows."""
    where = and_(*_filters(session, query))
    ids_query = _rows_select(query, where).with_only_columns(Ticket.id).limit(SEARCH_CAP + 1).offset(None)
    ids = list(session.scalars(ids_query))
    capped = len(ids) > SEARCH_CAP
    ids = ids[:SEARCH_CAP]
    start = (max(query.page, 1) - 1) * query.page_size
    wanted = ids[start : start + query.page_size]
    by_id = {}
    if wanted:
        page_query = _rows_select(query, Ticket.id.in_(wanted)).limit(None).offset(None)
        by_id = {r[0]: _row(r) for r in session.execute(page_query)}
    rows = [by_id[ticket_id] for ticket_id in wanted if ticket_id in by_id]
    return TicketPage(rows, len(ids), max(query.page, 1), query.page_size, capped)
