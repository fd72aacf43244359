"""Outbound mail: templated replies, agent notifications and SLA alerts."""
