"""Reactions to domain events: triggers and automations with their actions, targets and webhooks,
and the event context they all read."""
