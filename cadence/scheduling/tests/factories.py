import datetime as dt

import factory

from cadence.programs.tests.factories import ProgramFactory, TrackFactory
from cadence.scheduling.choices import Approach, TopicKind
from cadence.scheduling.models import Enrollment, SessionSeries, StaffAvailability, Topic


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic

    program = factory.SubFactory(ProgramFactory)
    kind = TopicKind.PSYCHOEDUCATION
    approach = Approach.CBT
    title = factory.Sequence(lambda n: f"Topic {n}")
    sequence = factory.Sequence(lambda n: n + 1)


class SeriesFactory(factory.django.DjangoModelFactory):
    """A series row only; tests that need occurrences call services.save_series or
    services.materialize."""

    class Meta:
        model = SessionSeries

    track = factory.SubFactory(TrackFactory)
    title = factory.Sequence(lambda n: f"Group {n}")
    days = "02"
    start_time = dt.time(18)
    end_time = dt.time(19)
    telehealth_url = "https://video.example.org/room"
    capacity = 12
    starts_on = dt.date(2026, 11, 2)


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    starts_on = dt.date(2026, 11, 2)


class AvailabilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffAvailability

    weekday = 0
    start_time = dt.time(9)
    end_time = dt.time(17)
