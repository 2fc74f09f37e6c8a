"""The notice that goes with every disclosure made under a Part 2 consent (42 CFR 2.32).

Kept in ONE place: the release packet, and later the portal and the FHIR export, all show this
constant. The first sentence is the short statement 42 CFR 2.32(a) allows; the rest explains it
in plain words for the recipient.
"""

# verify exact wording against the eCFR before release (42 CFR 2.32, as amended by
# 89 FR 12472, 16 Feb 2024); keep this the only copy of the notice in the code.
REDISCLOSURE_NOTICE = (
    "42 CFR part 2 prohibits unauthorized use or disclosure of these records. "
    "This information comes from records of substance use disorder treatment that are "
    "protected by federal confidentiality rules (42 CFR part 2). You may not use it or "
    "disclose it further unless the patient's written consent or those rules allow it, and "
    "it may not be used to investigate or prosecute the patient, or in any civil, criminal, "
    "administrative or legislative proceeding against the patient, except as 42 CFR part 2 "
    "permits."
)
REDISCLOSURE_CITATION = "42 CFR § 2.32"
