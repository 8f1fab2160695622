"""Notifications to people: a webhook POST (Slack, Teams, any JSON endpoint) and a log line."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notifier:
    webhook_url: str | None
    emails: Sequence[str]
    timeout_seconds: float = 5.0

    def send(self, subject: str, body: str) -> None:
        """Log the message and POST it to the webhook; a failing webhook is logged, never raised."""
        recipients = ", ".join(self.emails) or "nobody"
        log.warning("notification to %s: %s\n%s", recipients, subject, body)
        if not self.webhook_url:
            return
        payload = json.dumps({"text": f"{subject}\n{body}", "subject": subject, "body": body}).encode()
        request = urllib.request.Request(
            self.webhook_url, data=payload, headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:
                response.read()
        except (urllib.error.URLError, TimeoutError, ValueError) as error:
            log.error("could not POST the notification to %s: %s", self.webhook_url, error)
