"""The renderer registry of a worker: every kind's module adds its renderer here, once."""

from __future__ import annotations

from collections.abc import Callable

from notifier.render import RendererRegistry

Plugin = Callable[[RendererRegistry], None]


def _plugins() -> tuple[Plugin, ...]:
    """Each kind's module exposes ``register(registry)``; add one line here per module (imported lazily)."""
    from notifier import article, autoreply, notification, sla_alerts

    return (article.register, autoreply.register, notification.register, sla_alerts.register)


def build_registry() -> RendererRegistry:
    """A registry holding every known renderer; a duplicate kind raises DuplicateRendererError."""
    registry = RendererRegistry()
    for register in _plugins():
        register(registry)
    return registry
