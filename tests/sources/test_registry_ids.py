"""Registry numbers split out of printed cells, typed only when their check digits pass."""

from __future__ import annotations

from dualtrace.sources.registry_ids import RegistryId, extract_registry_ids


def _typed(text: str, column: str, russian: bool = False) -> set[tuple[str, str]]:
    return {(r.prop, r.value) for r in extract_registry_ids(text, column, russian)}


def test_eu_833_label_after_number() -> None:
    assert _typed("1831083343 (Tax ID/INN)", "registrationNumber") == {
        ("innCode", "1831083343"),
        ("registrationNumber", "1831083343 (Tax ID/INN)"),
    }


def test_uk_labels_run_together() -> None:
    got = _typed("INN: 7704734000OGRN: 1027739001993", "registrationNumber")
    assert {("innCode", "7704734000"), ("ogrnCode", "1027739001993")} <= got


def test_inn_kpp_pair_and_belarus_unn() -> None:
    results = extract_registry_ids(
        "(УНН/ИНН): 190950894 (Belarus),  7704734000/770301001 (Russia)", "registrationNumber"
    )
    got = {(r.prop, r.value) for r in results}
    assert {("innCode", "7704734000"), ("kppCode", "770301001")} <= got
    # The 9-digit Belarusian UNN is labelled INN but is not one: kept, with a reason.
    unn = next(r for r in results if r.value == "190950894")
    assert unn.prop == "taxNumber" and unn.problem and "check digits" in unn.problem


def test_typed_column_with_extra_label() -> None:
    assert _typed("1207700324941, KPP 772901001", "ogrnCode") == {
        ("ogrnCode", "1207700324941"),
        ("kppCode", "772901001"),
    }
    assert _typed("1 121 402 000 213", "ogrnCode") == {("ogrnCode", "1121402000213")}


def test_unlabelled_inn_needs_russian_context() -> None:
    assert ("innCode", "1831083343") in _typed("1831083343", "taxNumber", russian=True)
    assert _typed("1831083343", "taxNumber", russian=False) == {("taxNumber", "1831083343")}


def test_uscc_imo_and_invalid_inn() -> None:
    assert ("uscCode", "91440300MA5HX80Y1Q") in _typed(
        "USCC: 91440300MA5HX80Y1Q", "registrationNumber"
    )
    assert _typed("9562233", "imoNumber") == {("imoNumber", "IMO9562233")}
    (bad,) = extract_registry_ids("1831083344", "innCode")  # last digit wrong
    assert bad == RegistryId("taxNumber", "1831083344", bad.problem) and bad.problem
