import datetime as dt

import factory
from django.utils import timezone

from cadence.accounts.tests.factories import UserFactory
from cadence.patients.tests.factories import PatientFactory
from cadence.screens.choices import Method, Result, ScreenStatus, Specimen, Substance
from cadence.screens.models import DrugScreen, ExpectedSubstance, ScreenResult


class DrugScreenFactory(factory.django.DjangoModelFactory):
    """A resulted point-of-care urine screen. Tests that care about services use them; this
    is for arranging data (query budgets, access)."""

    class Meta:
        model = DrugScreen

    patient = factory.SubFactory(PatientFactory)
    program = factory.SelfAttribute("patient.registered_program")
    collected_at = factory.Sequence(
        lambda n: dt.datetime(2026, 11, 1, 15, tzinfo=dt.UTC) - dt.timedelta(days=n)
    )
    specimen = Specimen.URINE
    observed = True
    method = Method.POINT_OF_CARE
    status = ScreenStatus.RESULTED
    recorded_by = factory.SubFactory(UserFactory)
    resulted_by = factory.SelfAttribute("recorded_by")
    resulted_at = factory.LazyFunction(timezone.now)


class ScreenResultFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScreenResult

    screen = factory.SubFactory(DrugScreenFactory)
    substance = Substance.COCAINE
    result = Result.NEGATIVE


class ExpectedSubstanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExpectedSubstance

    patient = factory.SubFactory(PatientFactory)
    program = factory.SelfAttribute("patient.registered_program")
    substance = Substance.BUPRENORPHINE
    reason = "prescribed buprenorphine (MOUD)"
    since = dt.date(2026, 10, 1)
    recorded_by = factory.SubFactory(UserFactory)
