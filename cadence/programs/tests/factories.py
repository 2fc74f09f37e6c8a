import datetime as dt
from decimal import Decimal

import factory

from cadence.programs.choices import TrackKind
from cadence.programs.models import Membership, Organization, Phase, Program, Room, Site, Track


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("name",)

    name = "Test Organization"


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Site {n}")
    time_zone = "America/New_York"


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room

    site = factory.SubFactory(SiteFactory)
    name = factory.Sequence(lambda n: f"Room {n}")
    capacity = 12


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program

    site = factory.SubFactory(SiteFactory)
    name = factory.Sequence(lambda n: f"Program {n}")


class PhaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Phase

    program = factory.SubFactory(ProgramFactory)
    order = factory.Sequence(lambda n: n + 1)
    name = factory.Sequence(lambda n: f"Phase {n}")
    weekly_hours_target = Decimal("12")
    typical_weeks = 3


class TrackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Track

    program = factory.SubFactory(ProgramFactory)
    name = factory.Sequence(lambda n: f"Track {n}")
    kind = TrackKind.EVENING
    days = "013"
    start_time = dt.time(18)
    end_time = dt.time(21)
    is_telehealth = True


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory("cadence.accounts.tests.factories.UserFactory")
    program = factory.SubFactory(ProgramFactory)
