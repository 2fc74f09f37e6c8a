"""Drug screen vocabularies: specimens, methods, the substance panel and results."""

from __future__ import annotations

from django.db import models

MINUS = "\u2212"  # the minus sign shown for a negative result


class Specimen(models.TextChoices):
    URINE = "urine", "Urine"
    ORAL_FLUID = "oral_fluid", "Oral fluid (saliva)"
    OTHER = "other", "Other (described in the notes)"


class Method(models.TextChoices):
    POINT_OF_CARE = "poc", "Point-of-care cup or test"
    LABORATORY = "lab", "Laboratory"


class ScreenStatus(models.TextChoices):
    PENDING = "pending", "Waiting for lab results"
    RESULTED = "resulted", "Resulted"


class Result(models.TextChoices):
    NEGATIVE = "negative", "Negative"
    POSITIVE = "positive", "Positive"
    INVALID = "invalid", "Invalid"
    NOT_TESTED = "not_tested", "Not tested"


# Results that are stored; "not tested" only exists on the form.
STORED_RESULTS = (Result.NEGATIVE, Result.POSITIVE, Result.INVALID)


class Substance(models.TextChoices):
    """The panel, in the order rows appear on forms and the trend grid."""

    AMPHETAMINES = "amphetamines", "Amphetamines (AMP)"
    METHAMPHETAMINE = "methamphetamine", "Methamphetamine (MET)"
    MDMA = "mdma", "MDMA / ecstasy"
    BARBITURATES = "barbiturates", "Barbiturates (BAR)"
    BENZODIAZEPINES = "benzodiazepines", "Benzodiazepines (BZO)"
    BUPRENORPHINE = "buprenorphine", "Buprenorphine (BUP)"
    COCAINE = "cocaine", "Cocaine (COC)"
    FENTANYL = "fentanyl", "Fentanyl (FYL)"
    METHADONE = "methadone", "Methadone (MTD)"
    OPIATES = "opiates", "Opiates: morphine/heroin (OPI)"
    HEROIN_6MAM = "heroin_6mam", "Heroin metabolite (6-MAM)"
    OXYCODONE = "oxycodone", "Oxycodone (OXY)"
    TRAMADOL = "tramadol", "Tramadol (TRA)"
    THC = "thc", "Cannabis (THC)"
    ALCOHOL_ETG = "alcohol_etg", "Alcohol (EtG)"
    PCP = "pcp", "Phencyclidine (PCP)"
    XYLAZINE = "xylazine", "Xylazine"
    KETAMINE = "ketamine", "Ketamine (KET)"
    KRATOM = "kratom", "Kratom (mitragynine)"
    GABAPENTIN = "gabapentin", "Gabapentin"
    SYNTHETIC_CANNABINOIDS = "synthetic_cannabinoids", "Synthetic cannabinoids (K2/spice)"


SUBSTANCE_ORDER = {value: n for n, value in enumerate(Substance.values)}

# A common 12-panel point-of-care cup: what "mark the standard cup negative" fills in.
STANDARD_CUP: tuple[str, ...] = (
    Substance.AMPHETAMINES,
    Substance.METHAMPHETAMINE,
    Substance.MDMA,
    Substance.BARBITURATES,
    Substance.BENZODIAZEPINES,
    Substance.BUPRENORPHINE,
    Substance.COCAINE,
    Substance.FENTANYL,
    Substance.METHADONE,
    Substance.OPIATES,
    Substance.OXYCODONE,
    Substance.THC,
)


def substance_label(value: str) -> str:
    try:
        return str(Substance(value).label)
    except ValueError:
        return value


def substance_name(value: str) -> str:
    """The label without the assay abbreviation, for sentences ("cocaine", "MDMA / ecstasy")."""
    label = substance_label(value).split(" (")[0]
    if len(label) > 1 and label[1].isupper():  # an acronym keeps its capitals
        return label
    return label[:1].lower() + label[1:]
