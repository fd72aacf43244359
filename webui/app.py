"""create_app(settings): the Flask application of the web UI, built without any import-time state."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Flask, Response, render_template
from flask_wtf.csrf import CSRFError, CSRFProtect

from mailgate.secret import installation_secret
from mailgate.services import Services, build_services
from mailgate.settings import Settings
from webui import db
from webui.auth.deployment import SessionInterface, cookie_config, trust_proxies
from webui.auth.users import install_login_manager
from webui.security import apply_security_headers

EXTENSION = "mailgate"


class WebState:
    """What the app keeps in app.extensions["mailgate"]: settings, services and whether it owns them."""

    def __init__(self, settings: Settings, services: Services, owns_services: bool) -> None:
        self.settings = settings
        self.services = services
        self.owns_services = owns_services

    def close(self) -> None:
        """Release the database connections if create_app built the services."""
        if self.owns_services:
            self.services.close()


def session_secret(secret: str) -> str:
    """The Flask SECRET_KEY derived from the installation secret (never the reply-token key itself)."""
    return hashlib.sha256(f"mailgate-webui-session:{secret}".encode()).hexdigest()


def create_app(settings: Settings, *, services: Services | None = None, **config: Any) -> Flask:
    """The web UI on `settings`' database; `services` are reused if given; `config` overrides Flask config."""
    owns = services is None
    services = services or build_services(settings)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=session_secret(installation_secret(settings, services.sessions)),
        SESSION_COOKIE_NAME="mailgate_session",
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the signed session
        MAX_CONTENT_LENGTH=settings.max_message_size + 1024 * 1024,
        PAGE_SIZE=50,
        **cookie_config(settings.web_secure_cookies),
    )
    app.config.update(config)
    app.session_interface = SessionInterface()
    trust_proxies(app, settings.web_trusted_proxies)
    app.extensions[EXTENSION] = WebState(settings, services, owns)
    CSRFProtect(app)
    install_login_manager(app)
    db.init_app(app)
    app.after_request(apply_security_headers)
    app.register_error_handler(CSRFError, _csrf_error)
    _register_blueprints(app)
    return app


def web_state(app: Flask) -> WebState:
    """The WebState of an app made by create_app."""
    state: WebState = app.extensions[EXTENSION]
    return state


def _register_blueprints(app: Flask) -> None:
    from webui.actions import bp as actions_bp
    from webui.admin import bp as admin_bp
    from webui.agent import bp as agent_bp
    from webui.auth import bp as auth_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(agent_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(actions_bp)


def _csrf_error(error: CSRFError) -> tuple[str, int] | Response:
    return render_template("error.html", title="Form expired", message=error.description), 400
