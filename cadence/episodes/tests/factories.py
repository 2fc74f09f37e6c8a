import datetime as dt

import factory

from cadence.episodes.choices import AdmissionType, DischargeType, EpisodeStatus
from cadence.episodes.models import Episode
from cadence.patients.tests.factories import PatientFactory
from cadence.programs.tests.factories import ProgramFactory


class EpisodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Episode

    patient = factory.SubFactory(PatientFactory)
    program = factory.SubFactory(ProgramFactory)
    status = EpisodeStatus.ACTIVE
    referred_on = dt.date(2026, 10, 1)
    admission_date = dt.date(2026, 10, 5)
    admission_type = AdmissionType.DIRECT
    level_of_care = "2.1"
    # A discharged episode needs a date and a type (a database constraint).
    discharge_date = factory.LazyAttribute(
        lambda o: (
            o.admission_date + dt.timedelta(days=42)
            if o.status == EpisodeStatus.DISCHARGED
            else None
        )
    )
    discharge_type = factory.LazyAttribute(
        lambda o: DischargeType.COMPLETED if o.status == EpisodeStatus.DISCHARGED else ""
    )


class ReferredEpisodeFactory(EpisodeFactory):
    status = EpisodeStatus.REFERRED
    admission_date = None
    admission_type = ""
    level_of_care = ""
