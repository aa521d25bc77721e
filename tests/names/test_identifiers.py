"""Identifier validation with python-stdnum, on identifiers from the real lists."""

from __future__ import annotations

import pytest

from dualtrace.names import classify_identifier


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("3849055365 (INN)", "ru-inn"),  # TSK Vektor, EU 32014R0833 record 791
        ("1153850042246", "ru-ogrn"),  # TSK Vektor, EU 32014R0269 record 503
        ("91440300MA5HX80Y1Q", "cn-uscc"),  # Redlepus, EU 32014R0269 record 504
        ("IMO 9176187", "imo"),
        ("SABRRUMM", "swift-bic"),
        ("5493001KJTIIGC8Y1R12", "lei"),  # Bloomberg Finance L.P. (GLEIF)
    ],
)
def test_valid_identifiers_are_classified(value: str, kind: str) -> None:
    ident = classify_identifier(value)
    assert ident is not None and ident.kind == kind


def test_broken_check_digit_is_not_validated() -> None:
    ident = classify_identifier("3849055366")
    assert ident is not None and ident.kind is None


def test_placeholders_are_ignored() -> None:
    assert classify_identifier("0000000000") is None
    assert classify_identifier("n/a") is None


def test_imo_prefix_is_dropped_for_comparison() -> None:
    a, b = classify_identifier("IMO 9176187"), classify_identifier("9176187")
    assert a is not None and b is not None and a.value == b.value
