"""The lists dualtrace can fetch and load by name: official URL, expected format, reader.

``dualtrace fetch LIST`` and the benchmark look lists up here. Official URLs can be
overridden per installation with a TOML file (see :mod:`dualtrace.sources.fetch`),
because agencies move their downloads and some users mirror them internally.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dualtrace.errors import InputError
from dualtrace.sources.base import ReadResult
from dualtrace.sources.jp_meti import read_meti
from dualtrace.sources.ofac_xml import read_ofac_xml
from dualtrace.sources.static_lists import read_static_list
from dualtrace.sources.us_csl import read_csl, read_dpl

Reader = Callable[[Path, str | None], list[ReadResult]]


@dataclass(frozen=True, slots=True)
class ListSource:
    """A published list: where it is downloaded from and how it is read."""

    name: str
    title: str
    url: str
    filename: str  # name the download is saved under (readers look at suffixes/names)
    content_types: tuple[str, ...]  # acceptable Content-Type media types
    min_bytes: int  # a smaller download is certainly truncated or an error page
    read: Reader


def _meti(path: Path, version: str | None) -> list[ReadResult]:
    """One METI list text, or every ``*tokutei*.txt`` list in a folder, as one version."""
    files = sorted(path.glob("*tokutei*.txt")) if path.is_dir() else [path]
    if not files:
        raise InputError("no METI list texts (*tokutei*.txt) here", file=str(path))
    return [read_meti(files, version)]


def _ofac_sdn(path: Path, version: str | None) -> list[ReadResult]:
    from dualtrace.sources.ofac_sdn import read_ofac_sdn

    return read_ofac_sdn(path, version)


_CSV = ("text/csv", "application/csv", "text/plain", "application/octet-stream")
_XML = ("application/xml", "text/xml", "application/octet-stream")
_TXT = ("text/plain", "text/tab-separated-values", "application/octet-stream")

LIST_SOURCES: dict[str, ListSource] = {
    s.name: s
    for s in (
        ListSource(
            "ofac-sdn",
            "OFAC SDN list, enhanced XML (names per script, documents, relations)",
            "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/SDN_ENHANCED.XML",
            "SDN_ENHANCED.XML",
            _XML,
            100_000,
            lambda p, v: [read_ofac_xml(p, version=v)],
        ),
        ListSource(
            "ofac-cons",
            "OFAC consolidated (non-SDN) list, CSV set (cons_prim + alt/add/comments)",
            "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/CONS_PRIM.CSV",
            "cons_prim.csv",
            _CSV,
            10_000,
            _ofac_sdn,
        ),
        ListSource(
            "ofac-cons-xml",
            "OFAC consolidated (non-SDN) list, enhanced XML",
            "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/CONS_ENHANCED.XML",
            "CONS_ENHANCED.XML",
            _XML,
            10_000,
            lambda p, v: [read_ofac_xml(p, version=v)],
        ),
        ListSource(
            "us-csl",
            "US Consolidated Screening List (Entity List, MEU, UVL, DPL, ITAR, ...)",
            "https://data.trade.gov/downloadable_consolidated_screening_list/v1/consolidated.csv",
            "consolidated.csv",
            _CSV,
            100_000,
            read_csl,
        ),
        ListSource(
            "us-bis-dpl",
            "BIS Denied Persons List (tab-separated)",
            "https://www.bis.doc.gov/dpl/dpl.txt",
            "dpl.txt",
            _TXT,
            10_000,
            lambda p, v: [read_dpl(p, v)],
        ),
        ListSource(
            "us-bis-mieu",
            "BIS Military-Intelligence End-User list (curated table)",
            "https://raw.githubusercontent.com/opensanctions/opensanctions/main/datasets/us/bis_mieu/mieu.csv",
            "mieu.csv",
            _CSV,
            200,
            lambda p, v: [read_static_list("us_bis_mieu", p, v)],
        ),
        ListSource(
            "us-dod-1260h",
            "US DoD Section 1260H Chinese military companies (curated table)",
            "https://raw.githubusercontent.com/opensanctions/opensanctions/main/datasets/us/dod_chinese_milcorps/sanctions.csv",
            "dod_1260h.csv",
            _CSV,
            1_000,
            lambda p, v: [read_static_list("us_dod_1260h", p, v)],
        ),
        ListSource(
            "cn-sanctions",
            "China counter-sanctions lists (curated table)",
            "https://raw.githubusercontent.com/opensanctions/opensanctions/main/datasets/cn/sanctions/sanctions.csv",
            "cn_sanctions.csv",
            _CSV,
            1_000,
            lambda p, v: [read_static_list("cn_sanctions", p, v)],
        ),
        ListSource(
            "us-fincen-311",
            "FinCEN special measures (curated table)",
            "https://raw.githubusercontent.com/opensanctions/opensanctions/main/datasets/us/fincen_special_measures/details.csv",
            "fincen_311.csv",
            _CSV,
            1_000,
            lambda p, v: [read_static_list("us_fincen_311", p, v)],
        ),
        ListSource(
            "jp-meti-russia",
            "Japan METI end-user list, Russia (text of the PDF)",
            "https://raw.githubusercontent.com/opensanctions/opensanctions/main/datasets/jp/meti_ru/250912_list_russia_tokutei.pdf.txt",
            "list_russia_tokutei.pdf.txt",
            _TXT,
            1_000,
            _meti,
        ),
    )
}


def list_source(name: str) -> ListSource:
    """The catalogue entry for ``name``; InputError listing the known names otherwise."""
    try:
        return LIST_SOURCES[name]
    except KeyError:
        raise InputError(
            f"unknown list {name!r}; known: {', '.join(sorted(LIST_SOURCES))}"
        ) from None


def read_named(name: str, path: Path, version: str | None = None) -> list[ReadResult]:
    """Read a file of catalogue list ``name`` (the benchmark and scripts use this)."""
    return list_source(name).read(Path(path), version)
