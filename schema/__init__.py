"""SQLAlchemy models of the Znuny-compatible schema and mailgate_ tables, with Alembic migrations."""

from schema import pipeline as pipeline  # registers the pipeline's mailgate_ tables in Base.metadata
from schema import webui as webui  # registers the web UI's mailgate_ tables in Base.metadata
from schema.accounts import CustomerUser, GroupUser, PermissionGroup, User, Valid
from schema.agents import CustomerPreference, PersonalQueue, UserPreference
from schema.articles import Article, ArticleDataMime, ArticleDataMimeAttachment, ArticleDataMimePlain
from schema.base import Base
from schema.imap_state import AfterFetch, ImapAccountState
from schema.lookups import (
    ArticleSenderType,
    CommunicationChannel,
    FollowUpPossible,
    TicketHistoryType,
    TicketLockType,
    TicketPriority,
    TicketState,
    TicketStateType,
    TicketType,
)
from schema.mail import MailAccount, MailQueue, PostmasterFilter
from schema.outbox import OutboxKind, OutboxMail, OutboxState
from schema.pipeline import (
    Decision,
    InstallationSetting,
    RoutingRule,
    TicketLink,
    TicketTag,
    UndeliverableAddress,
)
from schema.queues import (
    AutoResponse,
    AutoResponseType,
    Queue,
    QueueAutoResponse,
    QueueStandardTemplate,
    Salutation,
    Signature,
    Sla,
    StandardTemplate,
    SystemAddress,
)
from schema.roles import GroupRole, Role, RoleUser
from schema.sla import SlaCalendar, SlaClock
from schema.spool import InboundMail, InboundSource, InboundState, make_dedup_key
from schema.tickets import Ticket, TicketHistory, TicketNumberCounter

MAILGATE_PREFIX = "mailgate_"


def znuny_table_names() -> list[str]:
    """Names of the modelled Znuny tables (everything in the metadata without the mailgate_ prefix)."""
    return sorted(name for name in Base.metadata.tables if not name.startswith(MAILGATE_PREFIX))


def mailgate_table_names() -> list[str]:
    """Names of mailgate's own tables."""
    return sorted(name for name in Base.metadata.tables if name.startswith(MAILGATE_PREFIX))


__all__ = [
    "MAILGATE_PREFIX",
    "AfterFetch",
    "Article",
    "ArticleDataMime",
    "ArticleDataMimeAttachment",
    "ArticleDataMimePlain",
    "ArticleSenderType",
    "AutoResponse",
    "AutoResponseType",
    "Base",
    "CommunicationChannel",
    "CustomerPreference",
    "CustomerUser",
    "Decision",
    "FollowUpPossible",
    "GroupRole",
    "GroupUser",
    "ImapAccountState",
    "InboundMail",
    "InboundSource",
    "InboundState",
    "InstallationSetting",
    "MailAccount",
    "MailQueue",
    "OutboxKind",
    "OutboxMail",
    "OutboxState",
    "PermissionGroup",
    "PersonalQueue",
    "PostmasterFilter",
    "Queue",
    "QueueAutoResponse",
    "QueueStandardTemplate",
    "Role",
    "RoleUser",
    "RoutingRule",
    "Salutation",
    "Signature",
    "Sla",
    "SlaCalendar",
    "SlaClock",
    "StandardTemplate",
    "SystemAddress",
    "Ticket",
    "TicketHistory",
    "TicketHistoryType",
    "TicketLink",
    "TicketLockType",
    "TicketNumberCounter",
    "TicketPriority",
    "TicketState",
    "TicketStateType",
    "TicketTag",
    "TicketType",
    "UndeliverableAddress",
    "User",
    "UserPreference",
    "Valid",
    "mailgate_table_names",
    "make_dedup_key",
    "znuny_table_names",
]
