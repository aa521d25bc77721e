"""Ownership rules (OFAC, EU, UK, BIS) loaded from versioned data with citations.

The parameters live in ``rules/ownership_rules.yaml`` so a change in guidance is a
reviewed data change, and every derived status can cite the text it applies.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from typing import Any

import yaml

from dualtrace.errors import InputError
from dualtrace.graph.build import check_date
from dualtrace.graph.engine import sql_str
from dualtrace.graph.ownership import PropagationParams

RULES_FILE = "ownership_rules.yaml"


@dataclass(frozen=True, slots=True)
class Period:
    """A stretch of time a rule (or a suspension) covers, with the text that set it.

    Guidance changes its test over time (the EU's "more than 50%" became "50% or more"
    in July 2024), so a period may carry its own threshold and comparison; ``None``
    means the rule's own.
    """

    start: str
    end: str | None
    citation: str
    threshold: float | None = None
    inclusive: bool | None = None

    def covers(self, day: str) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True, slots=True)
class ListingCriteria:
    """Which listings count as roots for a rule, as SQL over ``g_listed``."""

    authorities: tuple[str, ...] = ()
    datasets: tuple[str, ...] = ()
    exclude_datasets: tuple[str, ...] = ()
    program_id_prefixes: tuple[str, ...] = ()

    def where_sql(self, alias: str = "l") -> str:
        ors: list[str] = [
            f"{alias}.authority ILIKE {sql_str('%' + a + '%')}" for a in self.authorities
        ]
        ors += [f"{alias}.dataset GLOB {sql_str(d)}" for d in self.datasets]
        ors += [
            f"{alias}.program_id ILIKE {sql_str('%' + p + '%')}" for p in self.program_id_prefixes
        ]
        cond = "(" + (" OR ".join(ors) if ors else "FALSE") + ")"
        for d in self.exclude_datasets:
            cond += f" AND NOT {alias}.dataset GLOB {sql_str(d)}"
        return cond


@dataclass(frozen=True, slots=True)
class OwnershipRule:
    key: str
    title: str
    params: PropagationParams
    status_word: str
    in_force: tuple[Period, ...]
    suspended: tuple[Period, ...]
    listing: ListingCriteria
    control_roles: tuple[str, ...]
    citations: tuple[str, ...]
    note: str | None
    data_version: str

    def state_on(self, day: str) -> tuple[bool, str]:
        """Whether the rule applies on ``day``, and the sentence (with citation) why."""
        for p in self.suspended:
            if p.covers(day):
                return False, f"{self.title} suspended {p.start} to {p.end} ({p.citation})"
        for p in self.in_force:
            if p.covers(day):
                return True, f"{self.title} in force since {p.start} ({p.citation})"
        first = min((p.start for p in self.in_force), default="?")
        return False, f"{self.title} not in force on {day} (effective {first})"

    def on(self, day: str) -> OwnershipRule:
        """The rule with the threshold and comparison of the period covering ``day``.

        A judgement as of a past date must apply the test in force then, not today's.
        """
        for p in self.in_force:
            if p.covers(day) and (p.threshold is not None or p.inclusive is not None):
                params = replace(
                    self.params,
                    threshold=self.params.threshold if p.threshold is None else p.threshold,
                    inclusive=self.params.inclusive if p.inclusive is None else p.inclusive,
                )
                return replace(self, params=params)
        return self

    @property
    def threshold_words(self) -> str:
        op = "or more" if self.params.inclusive else "(more than)"
        if self.params.inclusive:
            return f"{self.params.threshold:g}% {op}"
        return f"more than {self.params.threshold:g}%"


def _str_tuple(data: dict[str, Any], key: str) -> tuple[str, ...]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"expected a list of strings under {key!r}", file=RULES_FILE, field=key)
    return tuple(value)


def _comparison(value: Any, field: str) -> bool:
    """True for 'ge' (inclusive), False for 'gt'; anything else is an InputError."""
    if value not in ("ge", "gt"):
        raise InputError("comparison must be 'ge' or 'gt'", file=RULES_FILE, field=field)
    return bool(value == "ge")


def _periods(data: dict[str, Any], key: str) -> tuple[Period, ...]:
    out = []
    for item in data.get(key) or []:
        start = check_date(str(item["from"]), f"{key}.from")
        end = check_date(str(item["to"]), f"{key}.to") if item.get("to") else None
        assert start is not None
        out.append(
            Period(
                start,
                end,
                str(item.get("citation", "")),
                threshold=float(item["threshold"]) if "threshold" in item else None,
                inclusive=(
                    _comparison(item["comparison"], f"{key}.comparison")
                    if "comparison" in item
                    else None
                ),
            )
        )
    return tuple(out)


def parse_rules(text: str) -> dict[str, OwnershipRule]:
    """Rules from YAML text; malformed data is an InputError naming the field."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"not valid YAML: {exc}", file=RULES_FILE) from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("rules"), dict):
        raise InputError("expected a mapping with 'rules'", file=RULES_FILE)
    version = str(doc.get("version", ""))
    rules: dict[str, OwnershipRule] = {}
    for key, data in doc["rules"].items():
        inclusive = _comparison(data.get("comparison"), key)
        listing = data.get("listing") or {}
        rules[key] = OwnershipRule(
            key=key,
            title=str(data["title"]),
            params=PropagationParams(
                threshold=float(data["threshold"]),
                inclusive=inclusive,
                aggregate=bool(data["aggregate"]),
                control_counts=bool(data["control_counts"]),
            ),
            status_word=str(data.get("status_word", "owned")),
            in_force=_periods(data, "in_force"),
            suspended=_periods(data, "suspended"),
            listing=ListingCriteria(
                authorities=_str_tuple(listing, "authorities"),
                datasets=_str_tuple(listing, "datasets"),
                exclude_datasets=_str_tuple(listing, "exclude_datasets"),
                program_id_prefixes=_str_tuple(listing, "program_id_prefixes"),
            ),
            control_roles=_str_tuple(data, "control_roles"),
            citations=_str_tuple(data, "citations"),
            note=data.get("note"),
            data_version=version,
        )
    return rules


@cache
def ownership_rules() -> dict[str, OwnershipRule]:
    """The rules shipped with dualtrace."""
    text = resources.files("dualtrace.judge").joinpath("rules", RULES_FILE).read_text("utf-8")
    return parse_rules(text)


def get_rule(key: str) -> OwnershipRule:
    rules = ownership_rules()
    if key not in rules:
        raise InputError(f"unknown rule {key!r} (known: {', '.join(sorted(rules))})", field="rule")
    return rules[key]
