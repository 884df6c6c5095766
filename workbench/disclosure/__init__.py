"""Disclosure control of leader-facing outputs and the attacks that check it."""
