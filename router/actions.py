"""Rule actions: each a small named class that validates its value and writes it into a decision."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from router.decision import DecisionBuilder
from router.registry import Registry


class ActionType:
    """Base of all actions; subclasses set name and implement validate and apply."""

    name: ClassVar[str]

    def validate(self, value: object) -> object:
        """The value in canonical form; ValueError explains what is wrong with it."""
        raise NotImplementedError

    def apply(self, builder: DecisionBuilder, value: object, source: str) -> None:
        """Write the (validated) value into the decision being built."""
        raise NotImplementedError


class _SetAttribute(ActionType):
    """Sets one decision attribute; subclasses name the attribute and the accepted values."""

    attribute: ClassVar[str]
    accepts_id: ClassVar[bool] = False

    def validate(self, value: object) -> object:
        """A non-empty string, or an integer id when the attribute refers to a database row."""
        if self.accepts_id and isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip():
            return value.strip()
        expected = "a name or a numeric id" if self.accepts_id else "a non-empty text"
        raise ValueError(f"{self.name} needs {expected}, got {value!r}")

    def apply(self, builder: DecisionBuilder, value: object, source: str) -> None:
        """Override the attribute."""
        builder.set(self.attribute, value, source)


class SetQueue(_SetAttribute):
    """Put the ticket in a queue (name or id)."""

    name = "set_queue"
    attribute = "queue"
    accepts_id = True


class SetPriority(_SetAttribute):
    """Set the ticket priority (name such as '4 high', or id)."""

    name = "set_priority"
    attribute = "priority"
    accepts_id = True


class SetState(_SetAttribute):
    """Set the ticket state by name."""

    name = "set_state"
    attribute = "state"


class SetType(_SetAttribute):
    """Set the ticket type by name."""

    name = "set_type"
    attribute = "type"


class SetOwner(_SetAttribute):
    """Set the ticket owner (login or id)."""

    name = "set_owner"
    attribute = "owner"
    accepts_id = True


class SetResponsible(_SetAttribute):
    """Set the ticket's responsible agent (login or id)."""

    name = "set_responsible"
    attribute = "responsible"
    accepts_id = True


class SetCustomer(_SetAttribute):
    """Set the customer user (login or address)."""

    name = "set_customer"
    attribute = "customer"


class SetTitle(_SetAttribute):
    """Set the ticket title."""

    name = "set_title"
    attribute = "title"


class _Flag(ActionType):
    """Sets a yes/no decision attribute."""

    attribute: ClassVar[str]

    def validate(self, value: object) -> object:
        """A boolean."""
        if isinstance(value, bool):
            return value
        raise ValueError(f"{self.name} needs true or false, got {value!r}")

    def apply(self, builder: DecisionBuilder, value: object, source: str) -> None:
        """Set the flag."""
        builder.set(self.attribute, value, source)


class SuppressAutoReply(_Flag):
    """Send no auto-reply for this mail."""

    name = "suppress_auto_reply"
    attribute = "suppress_auto_reply"


class Ignore(_Flag):
    """Record the mail but make no ticket or article of it."""

    name = "ignore"
    attribute = "ignore"


class MoveToJunk(_Flag):
    """File the ticket in the Junk queue."""

    name = "move_to_junk"
    attribute = "junk"


class AddTags(ActionType):
    """Add tags to the ticket (one text or a list of texts)."""

    name = "add_tags"

    def validate(self, value: object) -> object:
        """A tuple of non-empty tags."""
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list | tuple) or not items:
            raise ValueError(f"add_tags needs a tag or a list of tags, got {value!r}")
        if not all(isinstance(tag, str) and tag.strip() for tag in items):
            raise ValueError(f"add_tags needs non-empty texts, got {value!r}")
        return tuple(tag.strip() for tag in items)

    def apply(self, builder: DecisionBuilder, value: object, source: str) -> None:
        """Append the tags."""
        assert isinstance(value, tuple)
        builder.add_tags(value, source)


class SetDynamicField(ActionType):
    """Set dynamic fields: a mapping of field name to value (Znuny's X-OTRS-DynamicField-*)."""

    name = "set_dynamic_field"

    def validate(self, value: object) -> object:
        """A mapping of non-empty names to texts."""
        if not isinstance(value, Mapping) or not value:
            raise ValueError(f"set_dynamic_field needs a mapping of field name to value, got {value!r}")
        if not all(isinstance(key, str) and key and isinstance(item, str) for key, item in value.items()):
            raise ValueError(f"set_dynamic_field names and values must be texts, got {value!r}")
        return dict(value)

    def apply(self, builder: DecisionBuilder, value: object, source: str) -> None:
        """Set each field."""
        assert isinstance(value, dict)
        for field_name, field_value in value.items():
            builder.set_dynamic_field(field_name, field_value, source)


ACTION_TYPES: tuple[type[ActionType], ...] = (
    SetQueue,
    SetPriority,
    SetState,
    SetType,
    SetOwner,
    SetResponsible,
    SetCustomer,
    SetTitle,
    AddTags,
    SetDynamicField,
    SuppressAutoReply,
    Ignore,
    MoveToJunk,
)


def default_actions() -> Registry[ActionType]:
    """A fresh registry holding every built-in action."""
    return Registry("action", (action_type() for action_type in ACTION_TYPES))
