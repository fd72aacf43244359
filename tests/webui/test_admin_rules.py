"""Admin routing rules: edits, order, enable/disable and delete decide where the NEXT mail goes;
the router's own validation refuses bad rules; the test pane says what `route --explain` says."""

from __future__ import annotations

import html
import json
import re
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from mailgate.cli import cli
from schema import Queue
from schema.pipeline import RoutingRule
from tests.webui.admin_support import post_form, sign_in_admin
from tests.webui.support import Client, WebEnv, mail

pytestmark = pytest.mark.integration


def rule_form(name: str, tag: str, queue: str, **extra: str) -> dict[str, str]:
    return {
        "name": name, "enabled": "1", "stop_after_match": "1", "applies_to": "both", "match": "all",
        "cond-0-field": "subject", "cond-0-operator": "contains", "cond-0-value": tag,
        "act-0-action": "set_queue", "act-0-value": queue, **extra,
    }  # fmt: skip


def rule_id(web: WebEnv, name: str) -> int:
    with web.services.sessions() as session:
        return session.scalars(select(RoutingRule.id).where(RoutingRule.name == name)).one()


def routed_queue(web: WebEnv, subject: str) -> str:
    ticket_id = web.deliver(mail(subject=subject))
    with web.services.sessions() as session:
        return session.get_one(Queue, web.ticket(ticket_id).queue_id).name


def queue_name(web: WebEnv, queue_id: int) -> str:
    with web.services.sessions() as session:
        return session.get_one(Queue, queue_id).name


def test_rule_edits_order_and_switches_apply_to_the_next_mail(web: WebEnv, client: Client) -> None:
    sign_in_admin(web, client)
    tag = f"route-{uuid.uuid4().hex[:8]}"
    first, second, third = (queue_name(web, web.queue("users")) for _ in range(3))
    name_a, name_b = f"A {tag}", f"B {tag}"
    assert post_form(client, "/admin/rules/new", rule_form(name_a, tag, first)).status_code == 302
    assert post_form(client, "/admin/rules/new", rule_form(name_b, tag, second)).status_code == 302
    a, b = rule_id(web, name_a), rule_id(web, name_b)
    listing = client.get("/admin/rules/").get_data(as_text=True)
    assert listing.index(f">{name_a}</a>") < listing.index(f">{name_b}</a>")
    assert routed_queue(web, f"Hello {tag}") == first  # A stops the chain

    assert post_form(client, f"/admin/rules/{b}/move", {"direction": "up"}).status_code == 302
    assert routed_queue(web, f"Hello {tag}") == second  # B is tried first now

    assert post_form(client, f"/admin/rules/{b}/enabled", {"enabled": "0"}).status_code == 302
    with web.services.sessions() as session:
        assert session.get_one(RoutingRule, b).enabled == 0
    assert routed_queue(web, f"Hello {tag}") == first

    edited = rule_form(name_a, tag, third, **{"cond-1-field": "from", "cond-1-operator": "contains",
                                              "cond-1-value": "customer.example"})  # fmt: skip
    assert post_form(client, f"/admin/rules/{a}", edited).status_code == 302
    with web.services.sessions() as session:
        stored = session.get_one(RoutingRule, a)
        assert json.loads(stored.conditions)[1] == {
            "field": "from",
            "operator": "contains",
            "value": "customer.example",
        }
    assert routed_queue(web, f"Hello {tag}") == third

    assert post_form(client, f"/admin/rules/{b}/enabled", {"enabled": "1"}).status_code == 302
    assert routed_queue(web, f"Hello {tag}") == second
    assert post_form(client, f"/admin/rules/{b}/delete", {}).status_code == 302
    assert routed_queue(web, f"Hello {tag}") == third
    assert post_form(client, f"/admin/rules/{a}/delete", {}).status_code == 302
    assert routed_queue(web, f"Hello {tag}") not in (first, second, third)


def test_drag_and_drop_order_rewrites_every_position_at_once(web: WebEnv, client: Client) -> None:
    sign_in_admin(web, client)
    tag = f"order-{uuid.uuid4().hex[:8]}"
    names = [f"{n} {tag}" for n in ("one", "two", "three")]
    queues = [queue_name(web, web.queue("users")) for _ in names]
    for name, queue in zip(names, queues, strict=True):
        assert post_form(client, "/admin/rules/new", rule_form(name, tag, queue)).status_code == 302
    with web.services.sessions() as session:
        everything = list(session.scalars(select(RoutingRule.id).order_by(RoutingRule.position)))
    mine = [rule_id(web, name) for name in names]
    others = [ident for ident in everything if ident not in mine]
    order = [mine[2], mine[0], mine[1], *others]
    wrong = post_form(client, "/admin/rules/order", {"order": ",".join(map(str, order[:-1] or [0]))})
    assert wrong.status_code == 400
    assert post_form(client, "/admin/rules/order", {"order": ",".join(map(str, order))}).status_code == 302
    with web.services.sessions() as session:
        rows = session.execute(select(RoutingRule.id, RoutingRule.position)).all()
    positions = {row[0]: row[1] for row in rows}
    assert [positions[ident] for ident in order] == [10 * n for n in range(1, len(order) + 1)]
    assert routed_queue(web, f"Hi {tag}") == queues[2]
    for ident in mine:
        post_form(client, f"/admin/rules/{ident}/delete", {})


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"cond-0-operator": "regex", "cond-0-value": "(unclosed"}, "regex"),
        ({"cond-0-field": "no_such_field"}, "no_such_field"),
        ({"act-0-action": "launch_rockets"}, "launch_rockets"),
        ({"act-0-action": "set_priority", "act-0-value": "[1, 2]"}, "set_priority"),
        ({"applies_to": "sometimes"}, "applies_to"),
        ({"name": ""}, "name"),
    ],
)
def test_the_router_refuses_a_bad_rule_and_nothing_is_stored(
    web: WebEnv, client: Client, change: dict[str, str], problem: str
) -> None:
    sign_in_admin(web, client)
    name = f"bad {uuid.uuid4().hex[:8]}"
    with web.services.sessions() as session:
        before = session.scalars(select(RoutingRule.id)).all()
    response = post_form(client, "/admin/rules/new", {**rule_form(name, "x", "Raw"), **change})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "The router refuses this rule" in page and problem in page
    with web.services.sessions() as session:
        assert session.scalars(select(RoutingRule.id)).all() == before


def test_a_rule_name_is_unique(web: WebEnv, client: Client) -> None:
    sign_in_admin(web, client)
    name = f"twice {uuid.uuid4().hex[:8]}"
    assert post_form(client, "/admin/rules/new", rule_form(name, "x1", "Raw")).status_code == 302
    response = post_form(client, "/admin/rules/new", rule_form(name, "x2", "Raw"))
    assert response.status_code == 400 and "another rule has this name" in response.get_data(as_text=True)
    post_form(client, f"/admin/rules/{rule_id(web, name)}/delete", {})


def test_the_edit_form_shows_the_stored_rule(web: WebEnv, client: Client) -> None:
    sign_in_admin(web, client)
    name = f"shown {uuid.uuid4().hex[:8]}"
    data = rule_form(
        name,
        "shown-tag",
        "Raw",
        **{
            "act-1-action": "add_tags",
            "act-1-value": "[vip, urgent]",
            "cond-1-field": "header:X-Spam-Flag",
            "cond-1-operator": "exists",
        },
    )
    assert post_form(client, "/admin/rules/new", data).status_code == 302
    ident = rule_id(web, name)
    with web.services.sessions() as session:
        row = session.get_one(RoutingRule, ident)
        assert json.loads(row.actions)[1] == {"action": "add_tags", "value": ["vip", "urgent"]}
        assert json.loads(row.conditions)[1] == {"field": "header:X-Spam-Flag", "operator": "exists"}
    page = client.get(f"/admin/rules/{ident}").get_data(as_text=True)
    assert (
        'value="shown-tag"' in page
        and 'value="[vip, urgent]"' in page
        and 'value="header:X-Spam-Flag"' in page
    )
    export = client.get("/admin/rules/export.yaml").get_data(as_text=True)
    assert name in export and "add_tags" in export
    post_form(client, f"/admin/rules/{ident}/delete", {})


def test_the_test_pane_says_what_route_explain_says_and_changes_nothing(
    web: WebEnv, client: Client, migrated_url: str, tmp_path: Path
) -> None:
    sign_in_admin(web, client)
    tag = f"pane-{uuid.uuid4().hex[:8]}"
    target = queue_name(web, web.queue("users"))
    assert post_form(client, "/admin/rules/new", rule_form(f"pane {tag}", tag, target)).status_code == 302
    raw = mail(subject=f"Question {tag}")
    with web.services.sessions() as session:
        tickets_before = session.execute(select(Queue.id)).all()
    page = post_form(client, "/admin/rules/test", {"raw": raw.decode(), "to": "support@example.org"},
                     page="/admin/rules/test")  # fmt: skip
    assert page.status_code == 200
    shown = html.unescape(
        re.search(
            r'<pre class="explain" id="explanation">(.*?)</pre>', page.get_data(as_text=True), re.S
        ).group(1)
    )
    path = tmp_path / "mail.eml"
    path.write_bytes(raw)
    result = CliRunner().invoke(
        cli, ["route", "--explain", "--to", "support@example.org", str(path)],
        env={"MAILGATE_DATABASE_URL": migrated_url, "MAILGATE_SECRET_KEY": "webui-test-secret",
             "MAILGATE_FQDN": "mg.example.org"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert shown == result.output
    assert f"queue: {target}" in shown and "HIT" in shown
    upload = client.post(
        "/admin/rules/test",
        data={"csrf_token": client.csrf("/admin/rules/test"), "to": "support@example.org",
              "file": (path.open("rb"), "mail.eml")},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert upload.status_code == 200 and f"queue: {target}" in html.unescape(upload.get_data(as_text=True))
    with web.services.sessions() as session:
        assert session.execute(select(Queue.id)).all() == tickets_before
    assert post_form(client, "/admin/rules/test", {"raw": "  "}, page="/admin/rules/test").status_code == 400
    post_form(client, f"/admin/rules/{rule_id(web, f'pane {tag}')}/delete", {})


def test_the_yaml_editor_saves_the_export_shape_and_refuses_what_the_router_refuses(
    web: WebEnv, client: Client
) -> None:
    sign_in_admin(web, client)
    tag = f"yaml-{uuid.uuid4().hex[:8]}"
    target = queue_name(web, web.queue("users"))
    text = (
        f"name: yaml {tag}\nstop_after_match: true\nconditions:\n"
        f"  - {{field: subject, operator: regex, value: '{tag}-\\d+'}}\n"
        f"actions:\n  - {{action: set_queue, value: '{target}'}}\n  - {{action: add_tags, value: [a, b]}}\n"
    )
    assert post_form(client, "/admin/rules/new", {"yaml": text}).status_code == 302
    ident = rule_id(web, f"yaml {tag}")
    page = html.unescape(client.get(f"/admin/rules/{ident}").get_data(as_text=True))
    assert f"value: {tag}-\\d+" in page and "stop_after_match: true" in page
    assert routed_queue(web, f"Order {tag}-42") == target
    with web.services.sessions() as session:
        before = session.get_one(RoutingRule, ident).conditions
    for bad, problem in (
        ("name: [unclosed", "not valid YAML"),
        ("- just a list", "must be one rule"),
        (text.replace("regex", "regexp"), "regexp"),
        (text + "colour: red\n", "colour"),
    ):
        response = post_form(client, f"/admin/rules/{ident}", {"yaml": bad})
        assert response.status_code == 400 and problem in html.unescape(response.get_data(as_text=True)), bad
    with web.services.sessions() as session:
        assert session.get_one(RoutingRule, ident).conditions == before
    post_form(client, f"/admin/rules/{ident}/delete", {})
