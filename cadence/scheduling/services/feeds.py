"""Private calendar feed tokens."""

from __future__ import annotations

import copy
import hashlib
import secrets
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from cadence.accounts.access import acting_user
from cadence.audit.choices import Action
from cadence.audit.services import Subject, record

from ..models import CalendarFeed
from .errors import ScheduleError

# --- Calendar feeds ---------------------------------------------------------------------------

MAX_ACTIVE_FEEDS = 10


def feed_token_hash(token: str) -> str:
    """What is stored for a feed token: its SHA-256 (the token itself is shown once)."""

    return hashlib.sha256(token.encode()).hexdigest()


def create_calendar_feed(request: HttpRequest, label: str) -> tuple[Any, str]:
    """A new private iCalendar feed for the signed-in user: (feed, token). Only the token's
    hash is stored, so the full URL can be shown once and never again."""

    user = acting_user(request)
    with transaction.atomic():
        # Lock the user row so two quick clicks cannot pass the limit together.
        user.__class__.objects.select_for_update().filter(pk=user.pk).first()
        active = CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).count()
        if active >= MAX_ACTIVE_FEEDS:
            raise ScheduleError(
                f"You already have {active} active feeds; revoke one you no longer use first."
            )
        token = secrets.token_urlsafe(32)
        feed = CalendarFeed.objects.create(
            user=user, token_hash=feed_token_hash(token), label=label.strip()[:60]
        )
        record(
            Action.CREATE,
            Subject("calendar_feed", str(feed.pk), "Calendar feed created"),
            request=request,
        )
    return feed, token


def revoke_calendar_feed(request: HttpRequest, feed: Any) -> Any:
    """Stop a feed URL from working (idempotent)."""

    with transaction.atomic():
        row = CalendarFeed.objects.select_for_update().get(pk=feed.pk)
        if row.revoked_at is None:
            row.revoked_at = timezone.now()
            row.save(update_fields=["revoked_at"])
            record(
                Action.UPDATE,
                Subject("calendar_feed", str(row.pk), "Calendar feed revoked"),
                request=request,
            )
    return row


def calendar_feed_fetched(request: HttpRequest, feed: Any) -> None:
    """A calendar client fetched a feed: note when, and audit it as an export by the feed's
    owner. The audit row keeps the client's address but not the secret URL."""

    redacted = copy.copy(request)
    redacted.path = request.path.rsplit("/", 1)[0] + "/…"
    with transaction.atomic():
        CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=timezone.now())
        record(
            Action.EXPORT,
            Subject("calendar_feed", str(feed.pk), "Calendar feed fetched"),
            request=redacted,
            actor=feed.user,
        )
