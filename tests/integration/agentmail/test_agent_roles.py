"""Agents whose permission comes only through a Znuny role: notified about new tickets in My Queues and
allowed to answer by mail with rw; a read-only or invalid role grants neither (all three schemas)."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import func, insert, select

from mailgate.pipeline.process import Processed
from schema import PersonalQueue, Queue, User
from schema.agents import UserPreference
from tests.integration.agentmail.support import USERS_GROUP, Agent, Helpdesk
from tests.support.roles import grant_through_role


def role_agent(helpdesk: Helpdesk, key: str, *, role_valid: int = 1) -> Agent:
    """A valid agent with no group_user row, subscribed to Raw, holding `key` on 'users' through a role."""
    login = f"r{uuid.uuid4().hex[:8]}"
    email = f"{login}@corp.example"
    audit = {"create_time": func.now(), "create_by": 1, "change_time": func.now(), "change_by": 1}
    with helpdesk.services.sessions.begin() as session:
        user_id = session.execute(
            insert(User)
            .values(login=login, pw="x", first_name=login.title(), last_name="Agent", valid_id=1, **audit)
            .returning(User.id)
        ).scalar_one()
        session.execute(
            insert(UserPreference).values(
                user_id=user_id, preferences_key="UserEmail", preferences_value=email
            )
        )
        raw = session.scalars(select(Queue.id).where(Queue.name == "Raw")).one()
        session.execute(insert(PersonalQueue).values(user_id=user_id, queue_id=raw))
        grant_through_role(session, user_id, USERS_GROUP, key, role_valid=role_valid)
    return Agent(user_id, email, f"{login.title()} Agent")


def notified(helpdesk: Helpdesk, ticket_id: int) -> set[str]:
    rows = [row for row in helpdesk.outbox(ticket_id) if row.kind == "agent_notification"]
    return {address for row in rows for address in json.loads(row.recipients)}


def assert_refused(helpdesk: Helpdesk, done: Processed, ticket_id: int) -> None:
    """Refused for lack of rw: kept as an internal article, nothing relayed to the customer."""
    assert (done.state, done.outcome, done.ticket_id) == ("done", "agent_reply_refused", ticket_id), done
    agent_mail = helpdesk.trace(done.spool_id)["agent_mail"]
    assert isinstance(agent_mail, dict) and "no rw permission" in agent_mail["refused"]
    assert [row.kind for row in helpdesk.outbox(ticket_id) if row.kind != "agent_notification"] == []


def test_rw_through_a_role_gets_the_new_ticket_notification_and_may_answer(helpdesk: Helpdesk) -> None:
    agent = role_agent(helpdesk, "rw")
    ticket_id, _ = helpdesk.new_ticket()
    assert agent.email in notified(helpdesk, ticket_id)
    done = helpdesk.answer(ticket_id, "Hello Jane,\n\nfixed.\n\nRole agent", agent=agent)
    assert (done.state, done.outcome, done.ticket_id) == ("done", "agent_reply", ticket_id), done
    assert done.article_id is not None
    article, _mime, sender_type = helpdesk.article(done.article_id)
    assert sender_type == "agent" and article.create_by == agent.id


def test_ro_through_a_role_is_not_notified_and_may_not_answer(helpdesk: Helpdesk) -> None:
    agent = role_agent(helpdesk, "ro")
    ticket_id, _ = helpdesk.new_ticket()
    assert agent.email not in notified(helpdesk, ticket_id)
    done = helpdesk.answer(ticket_id, "I can only read.", agent=agent)
    assert_refused(helpdesk, done, ticket_id)


def test_an_invalid_role_grants_nothing(helpdesk: Helpdesk) -> None:
    agent = role_agent(helpdesk, "rw", role_valid=2)
    ticket_id, _ = helpdesk.new_ticket()
    assert agent.email not in notified(helpdesk, ticket_id)
    done = helpdesk.answer(ticket_id, "My role is gone.", agent=agent)
    assert_refused(helpdesk, done, ticket_id)
