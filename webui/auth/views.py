"""The sign-in form, its lock-out, and sign-out."""

from __future__ import annotations

import logging
import math
from datetime import datetime
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from mailgate.tickets.clock import now_utc
from webui.auth.lockout import LockoutPolicy, clear_login, current_lock, record_failure
from webui.auth.passwords import burn_time, check_password
from webui.auth.users import agent_from_row, find_user
from webui.db import db

bp = Blueprint("auth", __name__)
log = logging.getLogger(__name__)

FAILED = "Wrong login or password."
LOCKOUT_CONFIG = "LOCKOUT_POLICY"


def lockout_policy() -> LockoutPolicy:
    """The app's lock-out policy (app.config["LOCKOUT_POLICY"], default LockoutPolicy())."""
    policy = current_app.config.get(LOCKOUT_CONFIG)
    return policy if isinstance(policy, LockoutPolicy) else LockoutPolicy()


def safe_next(target: str | None) -> str:
    """A local path to go to after sign-in; anything pointing elsewhere becomes the start page."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("agent.overview")


@bp.get("/login")
def login() -> str | Response:
    """The sign-in form."""
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    return render_template("auth/login.html", next=request.args.get("next", ""), login="")


@bp.post("/login")
def login_post() -> tuple[str, int] | Response:
    """Check the password unless locked out; count failures; start the session on success."""
    login_name = request.form.get("login", "").strip()
    password = request.form.get("password", "")
    target = request.form.get("next", "")
    sess, policy, now = db(), lockout_policy(), now_utc()
    lock = current_lock(sess, policy, login_name, request.remote_addr, now)
    if lock is not None:
        log.warning("sign-in locked (%s): %r from %s", lock.scope, login_name[:100], request.remote_addr)
        minutes = max(1, math.ceil((lock.until - now).total_seconds() / 60))
        message = f"Too many failed sign-ins. Try again in {minutes} minute{'s' if minutes > 1 else ''}."
        return _form_again(message, login_name, target, 429)
    user = find_user(sess, login_name) if login_name else None
    if user is None:
        burn_time(password)
        return _failed(login_name, target, now)
    checked = check_password(user.pw, password)
    if not checked.ok:
        return _failed(login_name, target, now)
    if checked.new_hash is not None:
        user.pw = checked.new_hash
    clear_login(sess, login_name)
    sess.commit()
    session.clear()  # no state from before the sign-in survives it (session fixation)
    login_user(agent_from_row(sess, user))
    return redirect(safe_next(target))


def _failed(login_name: str, target: str, now: datetime) -> tuple[str, int]:
    log.warning("sign-in failed: %r from %s", login_name[:100], request.remote_addr)
    sess = db()
    record_failure(sess, lockout_policy(), login_name, request.remote_addr, now)
    sess.commit()
    return _form_again(FAILED, login_name, target, 401)


def _form_again(message: str, login_name: str, target: str, status: int) -> tuple[str, int]:
    flash(message, "error")
    return render_template("auth/login.html", next=target, login=login_name), status


@bp.post("/logout")
def logout() -> Response:
    """End the session (a POST with the CSRF token, so no other site can sign an agent out)."""
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


__all__ = ["bp", "lockout_policy", "safe_next"]
