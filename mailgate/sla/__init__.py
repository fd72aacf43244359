"""Service levels: business calendars, escalation times on tickets, and SLA alerts."""
