"""build_services(settings): the engine, sessions and intake that commands and workers share."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from mailgate.database import create_engine_for, session_factory
from mailgate.intake import Intake
from mailgate.pipeline.process import InboundProcessor
from mailgate.secret import installation_secret
from mailgate.settings import Settings


@dataclass(frozen=True, slots=True)
class Services:
    """The long-lived objects of one mailgate process, built from its settings."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    intake: Intake

    def close(self) -> None:
        """Store what the intake still holds (its writer thread stops), then release the connections."""
        self.intake.close()
        self.engine.dispose()


def build_processor(services: Services, *, read_only: bool = False) -> InboundProcessor:
    """The inbound processor of this process (reads, or unless read_only creates, the installation secret)."""
    secret = installation_secret(services.settings, services.sessions, create=not read_only)
    return InboundProcessor(services.settings, services.sessions, secret)


def build_services(settings: Settings) -> Services:
    """Build the services of one process from its settings."""
    engine = create_engine_for(settings)
    sessions = session_factory(engine)
    return Services(settings=settings, engine=engine, sessions=sessions, intake=Intake(sessions))
