"""``GET /search`` and ``GET /search/{dataset}`` with plain parameters are answered by a
short cut past FastAPI's routing (``SearchFastPath``): the same bytes as the route, the
same errors (anything unusual goes to the route), and still behind the guard.

The route answers the same question when an extra, unknown parameter is added (FastAPI
ignores it; the short cut hands such a request to the route), which is how each case is
compared with the route's own answer."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from dualtrace.show.api.screening import _search_params
from tests.security.ofac_slice import viewer_client

warnings.filterwarnings("ignore", message=".*httpx.*starlette.testclient.*")
from starlette.testclient import TestClient  # noqa: E402


@pytest.fixture(scope="module")
def client(
    shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, dict[str, str]]]:
    with viewer_client(shared_data, tmp_path_factory.mktemp("search-fast")) as pair:
        yield pair


def answered(http: TestClient) -> int:
    return int(http.app.state.search_fast_path_answered)  # type: ignore[attr-defined]


PLAIN = [
    "/search?q=Banco%20Nacional%20de%20Cuba",
    "/search?q=BANKO+NATSIONAL+DE+KUBA&limit=3",
    "/search?q=Havana%20Tours&limit=2&offset=1",
    "/search?q=havana&schema=Organization",
    "/search?q=%D0%91%D0%90%D0%9D%D0%9A%D0%9E",  # Cyrillic, percent-encoded UTF-8
    "/search?q=nobody%20at%20all",
    "/search?q=",
    "/search",
    "/search?q=Banco&limit=010&offset=00",
    "/search/ofac_sdn?q=Banco%20Nacional",
    "/search/default?q=Havana&limit=500",
]


@pytest.mark.parametrize("url", PLAIN)
def test_short_cut_answers_exactly_as_the_route(
    client: tuple[TestClient, dict[str, str]], url: str
) -> None:
    http, auth = client
    before = answered(http)
    fast = http.get(url, headers=auth)
    assert answered(http) == before + 1  # the short cut answered it
    routed = http.get(url + ("&" if "?" in url else "?") + "via=route", headers=auth)
    assert answered(http) == before + 1  # and the route this one
    assert fast.status_code == routed.status_code == 200
    assert fast.content == routed.content
    assert fast.headers["content-type"] == routed.headers["content-type"]
    assert fast.headers["content-length"] == routed.headers["content-length"]
    assert fast.headers["x-frame-options"] == "DENY"  # inside the guard


def test_a_real_name_is_found_by_the_short_cut(
    client: tuple[TestClient, dict[str, str]],
) -> None:
    http, auth = client
    top = http.get("/search?q=Banco%20Nacional%20de%20Cuba&limit=1", headers=auth).json()
    assert "BANCO NACIONAL DE CUBA" in top["results"][0]["caption"].upper()


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/search?q=x&limit=0", 422),
        ("/search?q=x&limit=501", 422),
        ("/search?q=x&limit=ten", 422),
        ("/search?q=x&offset=-1", 422),
        ("/search/no_such_list?q=x", 404),
        ("/search?q=x&schema=NoSuchSchema", 400),
    ],
)
def test_errors_keep_the_routes_shape(
    client: tuple[TestClient, dict[str, str]], url: str, status: int
) -> None:
    http, auth = client
    before = answered(http)
    fast = http.get(url, headers=auth)
    routed = http.get(url + "&via=route", headers=auth)
    assert fast.status_code == routed.status_code == status
    assert fast.json() == routed.json()
    assert answered(http) == before  # all of them went to the route


def test_short_cut_is_still_guarded(client: tuple[TestClient, dict[str, str]]) -> None:
    http, _ = client
    before = answered(http)
    assert http.get("/search?q=Banco").status_code == 401
    bad = {"Authorization": "Bearer dt_nope_nope"}
    assert http.get("/search?q=Banco", headers=bad).status_code == 401
    assert answered(http) == before


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"q=a%20b&limit=7", ("a b", None, 7, 0)),
        (b"q=a+b&schema=Person&offset=3", ("a b", "Person", 10, 3)),
        (b"", ("", None, 10, 0)),
        (b"q=caf%C3%A9", ("caf\u00e9", None, 10, 0)),
        (b"q=a&q=b", None),  # repeated: the route decides
        (b"q=a&extra=1", None),  # unknown parameter
        (b"q=a&schema=", None),
        (b"q=a&limit=%2B5", None),  # not a plain number
        (b"q=a&limit=0", None),
        (b"q=a&limit=501", None),
    ],
)
def test_only_plain_parameters_take_the_short_cut(
    raw: bytes, expected: tuple[str, str | None, int, int] | None
) -> None:
    assert _search_params(raw) == expected
