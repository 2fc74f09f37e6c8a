import itertools

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from cadence.audit.choices import Action
from cadence.audit.models import GENESIS_HASH, AuditEvent
from cadence.audit.services import Subject, record, record_many, verify_chain

pytestmark = pytest.mark.django_db


def _three_events():
    return [
        record(
            Action.VIEW, Subject("patient", "1", "Chart: summary", 1, "C0000018"), actor_name="a"
        ),
        record(
            Action.UPDATE,
            Subject("patient", "1", "Demographics: phone", 1, "C0000018"),
            actor_name="b",
        ),
        record(Action.EXPORT, Subject("audit_report", summary="Audit CSV"), actor_name="c"),
    ]


def test_events_chain_each_hash_to_the_previous_one():
    first, second, third = _three_events()
    assert [first.seq, second.seq, third.seq] == [1, 2, 3]
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    assert len({first.hash, second.hash, third.hash}) == 3
    assert verify_chain() == (3, None)


def test_verify_reports_first_altered_event():
    _three_events()
    events = list(AuditEvent.objects.order_by("seq"))
    events[1].summary = "Demographics: nothing to see"
    checked, problem = verify_chain(iter(events))
    assert checked == 1
    assert problem is not None
    assert (problem.seq, problem.reason) == (2, "content does not match its hash")


def test_verify_reports_a_removed_event():
    _three_events()
    events = list(AuditEvent.objects.order_by("seq"))
    del events[1]
    checked, problem = verify_chain(iter(events))
    assert (checked, problem.seq) == (1, 3)
    assert problem.reason == "sequence gap: expected #2, found #3"


def test_events_cannot_be_changed_or_deleted_through_the_orm():
    event = _three_events()[0]
    event.summary = "changed"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(summary="x")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).summary == "Chart: summary"


def test_verify_audit_command_reports_tampering_done_in_the_database():
    _three_events()
    call_command("verify_audit")  # intact: no error
    if connection.vendor == "postgresql":
        # PostgreSQL refuses the tampering itself (trigger); that is the stronger guarantee.
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("UPDATE audit_auditevent SET summary = 'x' WHERE seq = 2")
        return
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET summary = 'x' WHERE seq = 2")
    with pytest.raises(CommandError, match=r"broken at event #2: content does not match"):
        call_command("verify_audit")


def test_postgresql_refuses_delete_of_audit_rows():
    if connection.vendor != "postgresql":
        pytest.skip("database trigger exists on PostgreSQL only; SQLite relies on the ORM guard")
    _three_events()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM audit_auditevent")
    assert AuditEvent.objects.count() == 3


def test_record_many_appends_a_linked_run_that_verifies(django_assert_num_queries):
    _first, _, third = _three_events()
    subjects = [Subject("note", "9", "Group note signed", n, f"C00000{n:02d}") for n in range(12)]
    with django_assert_num_queries(5):  # savepoint, lock the head, one insert, head, release
        events = record_many(Action.UPDATE, subjects, actor=None)
    assert [e.seq for e in events] == list(range(4, 16))
    assert events[0].prev_hash == third.hash
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(events))
    assert [e.patient_id for e in AuditEvent.objects.filter(seq__gt=3).order_by("seq")] == list(
        range(12)
    )
    assert verify_chain() == (15, None)
    assert record(Action.VIEW, Subject("x"), actor_name="d").prev_hash == events[-1].hash
