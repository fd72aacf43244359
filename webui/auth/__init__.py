"""Sign-in and sign-out (blueprint "auth"): Znuny's users table, argon2, lock-out, Flask-Login sessions."""

from webui.auth.views import bp

__all__ = ["bp"]
