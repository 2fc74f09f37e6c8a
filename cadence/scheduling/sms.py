"""A small interface for text-message providers.

`SMS_BACKEND` names a class with `send(to, body) -> str` returning the provider's message id.
The console backend prints (the default with DEBUG); without DEBUG the default is
NotConfiguredBackend, which queues no texts; the memory backend keeps an outbox (the tests). A real
provider (Twilio, Vonage, an on-premises gateway) is a class of a dozen lines in a site's own
package, pointed to by the setting."""

from __future__ import annotations

import itertools
import sys
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


class SmsBackend(Protocol):
    def send(self, to: str, body: str) -> str: ...


class ConsoleBackend:
    """Writes each message to standard output (development)."""

    _ids = itertools.count(1)

    def send(self, to: str, body: str) -> str:
        sys.stdout.write(f"SMS to {to}: {body}\n")
        return f"console-{next(self._ids)}"


outbox: list[tuple[str, str]] = []


class MemoryBackend:
    """Keeps messages in `cadence.scheduling.sms.outbox`."""

    def send(self, to: str, body: str) -> str:
        outbox.append((to, body))
        return f"memory-{len(outbox)}"


class NotConfiguredBackend:
    """The production default until a provider is set: no text messages are queued at all
    (email reminders still go), rather than printing patients' numbers into a service log."""

    def send(self, to: str, body: str) -> str:
        raise RuntimeError("No text-message provider is configured (SMS_BACKEND).")


def sms_configured() -> bool:
    return not settings.SMS_BACKEND.endswith(".NotConfiguredBackend")


def get_backend() -> SmsBackend:
    backend: SmsBackend = import_string(settings.SMS_BACKEND)()
    return backend
