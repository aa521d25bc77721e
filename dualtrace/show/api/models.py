"""Request and response shapes of the screening API, in yente's wire format.

Field names and nesting follow yente (OpenSanctions' API) so that existing clients,
including the ``yente-client`` package, work unchanged against ``dualtrace serve``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class EntityExample(BaseModel):
    """A query entity: a schema and properties (values: string or list of strings)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)
    id: str | None = None
    schema_: str = Field("LegalEntity", alias="schema")
    properties: dict[str, str | list[str | None] | None] = Field(default_factory=dict)


class MatchRequest(BaseModel):
    """``POST /match/{dataset}`` body: queries keyed by the caller's ids."""

    queries: dict[str, EntityExample]
    weights: dict[str, float] = Field(default_factory=dict)
    config: dict[str, Any] = Field(default_factory=dict)


class TotalSpec(BaseModel):
    value: int
    relation: Literal["eq", "gte"] = "eq"


class FeatureExplanation(BaseModel):
    """One feature's verdict: value, log-odds contribution and the reason in words."""

    score: float
    weight: float
    detail: str | None = None
    explanation: str


class EntityResponse(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    id: str
    caption: str
    schema_: str = Field(alias="schema")
    properties: dict[str, list[str]]
    datasets: list[str]
    referents: list[str] = Field(default_factory=list)
    target: bool = True
    first_seen: str | None = None
    last_seen: str | None = None
    last_change: str | None = None


class ScoredEntityResponse(EntityResponse):
    score: float
    match: bool
    features: dict[str, float]
    explanations: dict[str, FeatureExplanation]
    reasons: list[str]


class QueryResponse(BaseModel):
    status: int = 200
    results: list[ScoredEntityResponse]
    total: TotalSpec
    query: dict[str, Any]
    limit: int


class MatchResponse(BaseModel):
    responses: dict[str, QueryResponse]
    matcher: dict[str, Any]
    limit: int


class SearchResponse(BaseModel):
    results: list[EntityResponse]
    facets: dict[str, Any] = Field(default_factory=dict)
    total: TotalSpec
    limit: int
    offset: int
