"""Deployment: promote a validated challenger to champion only when it is better, and undo it."""
