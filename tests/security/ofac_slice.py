"""A small real store for security tests: the first entries of OFAC's SDN CSV set."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dualtrace.security.accounts import Accounts
from dualtrace.security.roles import Role
from dualtrace.show.api.app import create_app
from dualtrace.sources.ofac_sdn import read_ofac_sdn
from dualtrace.store import Store

warnings.filterwarnings("ignore", message=".*httpx.*starlette.testclient.*")
from starlette.testclient import TestClient  # noqa: E402

SLICE_ROWS = 150


def cut_ofac_slice(shared_data: Path, dest: Path) -> Path:
    """The first SLICE_ROWS entries of OFAC's real SDN CSV set of 2021-07-07, with the
    aliases and addresses of those entries (cut here, not stored, to keep tests fast)."""
    src = shared_data / "lists" / "ofac-sdn"
    dest.mkdir(parents=True, exist_ok=True)
    primary = (src / "sdn_2021-07-07.csv").read_text(encoding="utf-8").splitlines(True)
    kept = primary[:SLICE_ROWS]
    nums = {line.split(",", 1)[0] for line in kept}
    (dest / "sdn_2021-07-07.csv").write_text("".join(kept), encoding="utf-8")
    for name in ("alt_2021-07-07.csv", "add_2021-07-07.csv"):
        lines = (src / name).read_text(encoding="utf-8").splitlines(True)
        (dest / name).write_text(
            "".join(ln for ln in lines if ln.split(",", 1)[0] in nums), encoding="utf-8"
        )
    return dest / "sdn_2021-07-07.csv"


def load_ofac(store_path: Path, primary: Path) -> None:
    with Store.open(store_path) as store:
        for result in read_ofac_sdn(primary):
            store.load(result.dataset, result.version, result.statements(), result.report)


def ofac_store_with_viewer(shared_data: Path, base: Path) -> tuple[Path, str]:
    """``base/store.duckdb`` holding the OFAC slice, and the API key of a viewer on it:
    the smallest real store a screening request can be authorised and audited against."""
    store_path = base / "store.duckdb"
    load_ofac(store_path, cut_ofac_slice(shared_data, base / "ofac"))
    with Store.open(store_path) as store:
        accounts = Accounts(store.con)
        accounts.add_user("viewer", Role.VIEWER)
        key = accounts.create_key("viewer")[1]
    return store_path, key


@contextmanager
def viewer_client(shared_data: Path, base: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """The API app over :func:`ofac_store_with_viewer`'s store, running, with the
    viewer's authorisation header: what a screening client sends."""
    store_path, key = ofac_store_with_viewer(shared_data, base)
    with TestClient(create_app(store_path)) as test_client:
        yield test_client, {"Authorization": f"Bearer {key}"}
