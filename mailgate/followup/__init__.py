"""Follow-up matching: which ticket a mail belongs to (a configurable chain), and what to do (policy)."""

from mailgate.followup.chain import DEFAULT_CHAIN, FollowupChain, build_chain, default_registry, match
from mailgate.followup.message_ids import bare_message_id, message_id_md5, thread_message_ids
from mailgate.followup.model import FollowupContext, FollowupResult, StepResult, StepTrace, TicketLookups
from mailgate.followup.policy import (
    Action,
    FollowupDecision,
    FollowUpOption,
    FollowupPolicyError,
    StrangerPolicy,
    TicketFacts,
    decide,
    is_auto_generated,
)
from mailgate.followup.registry import DuplicateStepError, FollowupStep, StepRegistry, UnknownStepError

__all__ = [
    "DEFAULT_CHAIN",
    "Action",
    "DuplicateStepError",
    "FollowUpOption",
    "FollowupChain",
    "FollowupContext",
    "FollowupDecision",
    "FollowupPolicyError",
    "FollowupResult",
    "FollowupStep",
    "StepRegistry",
    "StepResult",
    "StepTrace",
    "StrangerPolicy",
    "TicketFacts",
    "TicketLookups",
    "UnknownStepError",
    "bare_message_id",
    "build_chain",
    "decide",
    "default_registry",
    "is_auto_generated",
    "match",
    "message_id_md5",
    "thread_message_ids",
]
