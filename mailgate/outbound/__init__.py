"""Outbound mail as data: outbox rows written in the caller's transaction, handed to the notifier by id."""
