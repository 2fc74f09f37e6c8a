import datetime as dt

import factory

from cadence.patients.models import Patient
from cadence.patients.normalize import format_mrn
from cadence.programs.tests.factories import ProgramFactory


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    registered_program = factory.SubFactory(ProgramFactory)
    mrn = factory.Sequence(lambda n: format_mrn(900000 + n))
    legal_first_name = factory.Sequence(lambda n: f"Testy{n}")
    legal_last_name = "Sampleton"
    date_of_birth = dt.date(1990, 5, 17)
    phone = "(555) 010-1234"
    is_synthetic = True
