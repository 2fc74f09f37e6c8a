from cadence.patients.normalize import (
    digits,
    fold,
    format_mrn,
    luhn_digit,
    mrn_is_valid,
    name_key,
    name_tokens,
    phone_key,
)


def test_fold_removes_accents_case_and_extra_space():
    assert fold("  José   ÑÚÑEZ ") == "jose nunez"


def test_name_key_has_word_boundaries_for_prefix_search():
    assert name_key("O'Brien-Smith", "Zoë", "Zo") == " obrien smith zoe zo"


def test_luhn_and_mrn_format():
    assert luhn_digit("7992739871") == "3"  # the textbook example
    assert format_mrn(42) == "C0000422"
    assert format_mrn(1234567) == "C12345674"
    assert mrn_is_valid("C0000422")
    assert not mrn_is_valid("C0000426")  # one digit mistyped
    assert not mrn_is_valid("X0000422")


def test_digits():
    assert digits("(555) 010-7788") == "5550107788"


def test_name_tokens_are_distinct_folded_words():
    assert name_tokens("Núñez-Núñez", "Ana", "Ana") == ["ana", "nunez"]


def test_phone_key_reverses_digits_and_drops_us_country_code():
    assert phone_key("(555) 010-4477") == "7744010555"
    assert phone_key("+1 555 010 4477") == "7744010555"
    assert phone_key("") == ""
