"""Bulk linkage: dualtrace's SQL pipeline (DuckDB, Spark) beside Splink 5, same run.

Two data sets, each scored on cluster pairwise precision / recall / F1 against truth:

* ``hist``: Splink's own ``historical_figures_with_errors_50k.parquet`` (50,578 person
  records, ``cluster`` = truth). Splink runs its published example settings (the
  ``deduplicate_50k_synthetic`` demo: 10 blocking rules, forename/surname, date of
  birth, postcode, birth place and occupation with TF, u by random sampling, EM on two
  rules, clusters at p >= 0.95). dualtrace runs its pipeline with a person spec.
* ``trade``: ``dualtrace synth trade`` output (default 1M records), party strings
  (exporter/importer name, country, registration number, address; truth from the
  generator). Splink gets the *same* distinct strings with our normalised names (so
  transliteration is not counted as our advantage) and a comparable trade setting.

Each (data set, engine) runs in its own subprocess; the parent samples the RSS of the
whole process tree (the JVM included for Spark) for peak memory, and prints a table
with ratios to Splink. Usage::

    .venv/bin/python bench/linkage.py                     # hist + 1M trade, all engines
    .venv/bin/python bench/linkage.py --only trade --no-spark --plain   # + plain components
    .venv/bin/python bench/linkage.py --only hist --only-spark
    .venv/bin/python bench/linkage.py --only trade --no-spark --rows 10000000 \\
        --tools dualtrace,splink --max-gb 8 --timeout 3600   # 10M, ours first
    .venv/bin/python bench/linkage.py --engines-agree 1000000   # DuckDB vs Spark, row for row

"time s" is each tool's own time from reading its input to clusters (evaluation
excluded); "CPU s" is the CPU time of the case's whole process tree (evaluation
included), steadier than time on a shared machine. DuckDB runs with a memory limit
(``DUALTRACE_BENCH_DUCKDB_MEMORY``, default 5GB) and a spill directory for both tools;
``DUALTRACE_BENCH_OURS_DUCKDB_MEMORY`` (e.g. 3GB) lowers our engine's own cap (it spills
sooner; the result line names the cap).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any

import duckdb
import psutil  # type: ignore[import-untyped]
import pyarrow as pa

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
HIST = DATA / "linkage" / "splink" / "historical_figures_with_errors_50k.parquet"
# generated inputs are cached outside the repo (they are large and reproducible by seed)
CACHE = Path(
    os.environ.get("DUALTRACE_BENCH_CACHE", Path(tempfile.gettempdir()) / "dualtrace-bench")
)

sys.path.insert(0, str(REPO))
# DuckDB memory cap of our engine's connection (unset: the bench's shared setting)
OURS_DUCKDB_MEMORY = os.environ.get("DUALTRACE_BENCH_OURS_DUCKDB_MEMORY") or None


# --------------------------------------------------------------------------- data


def trade_file(rows: int, seed: int = 1) -> Path:
    """The generated trade records (cached: generation is not what we measure)."""
    from dualtrace.trade.synth import write_synthetic

    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"trade_{rows}_{seed}.parquet"
    if not path.exists():
        tmp = path.with_suffix(".tmp.parquet")
        write_synthetic(tmp, rows, seed, DATA)
        tmp.rename(path)
    return path


# A string written for two parties (two listed entities of one name) takes the truth
# it was written for most often, ties to the smaller id: ``mode()`` broke ties by
# thread order, so at 1M records 6 of 694,533 strings changed truth between runs and
# moved both tools' precision in the 7th digit (not a linkage difference).
TRADE_STRINGS_SQL = """
SELECT 'p' || substr(md5(concat_ws('|', name, coalesce(country, ''), coalesce(ident, ''),
         coalesce(address, ''))), 1, 16) AS id,
       name, country, ident, address,
       first(truth ORDER BY n DESC, truth) FILTER (WHERE truth IS NOT NULL) AS truth
FROM (
  SELECT name, country, ident, address, truth, count(*) AS n FROM (
    SELECT exporter_name AS name, exporter_country AS country, exporter_id AS ident,
           exporter_address AS address, truth_exporter AS truth FROM read_parquet(?)
    UNION ALL
    SELECT importer_name, importer_country, importer_id, importer_address, truth_importer
    FROM read_parquet(?)
  ) AS m WHERE name IS NOT NULL
  GROUP BY name, country, ident, address, truth
) AS c
GROUP BY name, country, ident, address
"""


def trade_strings(path: Path) -> pa.Table:
    """Distinct party strings of the file with their truth (what resolution links)."""
    # the bench's capped connection: at 10M records this groups 20M party mentions
    con = _duckdb_connection()
    table: pa.Table = con.execute(TRADE_STRINGS_SQL, [str(path), str(path)]).to_arrow_table()
    con.close()
    return table


# --------------------------------------------------------------------------- ours


def person_spec() -> Any:
    from dualtrace.trade.linkage.pipeline import Comparison, Level, LinkageSpec

    return LinkageSpec(
        columns=("name_key", "dob", "postcode", "birth_place", "occupation"),
        comparisons=(
            Comparison(
                "name_level",
                (
                    Level("exact", "name_key_l = name_key_r OR tok_j >= 0.999", 0.5),
                    Level("close", "name_sim >= 0.9 OR tok_j >= 0.7", 0.2),
                    Level("similar", "(name_sim >= 0.75 AND tok_o >= 0.4) OR tok_j >= 0.4", 0.15),
                    Level("contained", "tok_o >= 0.7", 0.08),
                    Level("different", "TRUE", 0.07),
                ),
            ),
            Comparison(
                "dob_level",
                (
                    Level("same", "dob_l = dob_r", 0.7),
                    Level("month", "substr(dob_l, 1, 7) = substr(dob_r, 1, 7)", 0.1),
                    Level("year", "substr(dob_l, 1, 4) = substr(dob_r, 1, 4)", 0.1),
                    Level("decade", "substr(dob_l, 1, 3) = substr(dob_r, 1, 3)", 0.05),
                    Level("different", "TRUE", 0.05),
                ),
                null_sql="dob_l IS NULL OR dob_r IS NULL",
            ),
            Comparison(
                "postcode_level",
                (
                    Level("same", "postcode_l = postcode_r", 0.6),
                    Level(
                        "district",
                        "split_part(postcode_l, ' ', 1) = split_part(postcode_r, ' ', 1)",
                        0.2,
                    ),
                    Level("area", "substr(postcode_l, 1, 2) = substr(postcode_r, 1, 2)", 0.1),
                    Level("different", "TRUE", 0.1),
                ),
                null_sql="postcode_l IS NULL OR postcode_r IS NULL",
            ),
            Comparison(
                "birth_place_level",
                (Level("same", "birth_place_l = birth_place_r", 0.8), Level("diff", "TRUE", 0.2)),
                null_sql="birth_place_l IS NULL OR birth_place_r IS NULL",
            ),
            Comparison(
                "occupation_level",
                (Level("same", "occupation_l = occupation_r", 0.8), Level("diff", "TRUE", 0.2)),
                null_sql="occupation_l IS NULL OR occupation_r IS NULL",
            ),
        ),
        exact_blocking=(
            "{t}.dob || '|' || substr({t}.name_key, 1, 2)",
            "{t}.postcode || '|' || substr({t}.name_key, 1, 2)",
            "{t}.dob || '|' || {t}.birth_place",
        ),
        # a link needs name evidence, unless date of birth and postcode both agree
        link_requires=(
            "name_level <> 'different' OR (dob_level = 'same' AND postcode_level = 'same')"
        ),
        token_block_max=40,
        threshold=0.95,
        name_sim_floor=0.75,  # the "similar" level's, the lowest above
    )


def hist_features() -> tuple[pa.Table, pa.Table, pa.Table]:
    """(records, tokens, truth) of the historical figures set for our pipeline."""
    from dualtrace.trade.linkage.party_names import name_tokens

    rows = duckdb.execute(
        "SELECT unique_id, cluster, full_name, first_name, surname, dob, postcode_fake, "
        "birth_place, occupation FROM read_parquet(?) ORDER BY unique_id",
        [str(HIST)],
    ).fetchall()
    ids, keys, dobs, posts, places, occs, truth = [], [], [], [], [], [], []
    tok_ids, toks = [], []
    for uid, cluster, full, first, sur, dob, post, place, occ in rows:
        tokens = name_tokens(" ".join(x for x in (first, sur) if x) or (full or ""))
        extra = [t for t in name_tokens(full or "") if t not in tokens]
        ids.append(uid)
        keys.append("".join(tokens) or None)
        dobs.append(dob)
        posts.append(post)
        places.append(place)
        occs.append(occ)
        truth.append(cluster)
        for t in (*tokens, *extra):
            tok_ids.append(uid)
            toks.append(t)
    records = pa.table(
        {
            "id": ids,
            "name_key": keys,
            "dob": dobs,
            "postcode": posts,
            "birth_place": places,
            "occupation": occs,
            "is_new": [True] * len(ids),
        }
    )
    return records, pa.table({"id": tok_ids, "token": toks}), pa.table({"id": ids, "truth": truth})


def trade_features(strings: pa.Table) -> tuple[pa.Table, pa.Table, pa.Table, dict[str, str]]:
    """(records, tokens, truth, duplicates) as party resolution builds them."""
    from dualtrace.trade.linkage.party_resolution import PartyString, party_features

    # column lists, not to_pylist() dicts: at 10M records there are millions of strings
    columns = [strings.column(c).to_pylist() for c in ("id", "name", "address", "country")]
    columns.append(strings.column("ident").to_pylist())
    parties = [
        PartyString(pid, "trade", None, name, address, country, ident, 1)
        for pid, name, address, country, ident in zip(*columns, strict=True)
    ]
    del columns
    features = party_features(parties, set())
    del parties
    truth = pa.table({"id": strings.column("id"), "truth": strings.column("truth")})
    return features.records, features.tokens, truth, features.duplicates


def run_ours(dataset: str, engine_name: str, rows: int) -> dict[str, Any]:
    from dualtrace.trade.linkage.engines import DuckDBEngine, SparkEngine, spark_session
    from dualtrace.trade.linkage.evaluation import cluster_pair_metrics
    from dualtrace.trade.linkage.party_resolution import TRADE_PARTY_SPEC, expand_clusters
    from dualtrace.trade.linkage.pipeline import link_registered, register_inputs

    started, cpu_started = time.monotonic(), _cpu_with_children()
    duplicates: dict[str, str] = {}
    if dataset == "hist":
        records, tokens, truth = hist_features()
        spec = person_spec()
    else:
        records, tokens, truth, duplicates = trade_features(trade_strings(trade_file(rows)))
        spec = TRADE_PARTY_SPEC
    prepared, cpu_prepared = time.monotonic(), _cpu_with_children()
    if engine_name == "duckdb":
        # our engine may cap its own connection lower than the bench's shared setting
        # (DUALTRACE_BENCH_OURS_DUCKDB_MEMORY): a choice of ours, reported with the result
        engine: Any = DuckDBEngine(_duckdb_connection(), memory_limit=OURS_DUCKDB_MEMORY)
    else:
        engine = SparkEngine(spark_session(memory=SPARK_MEMORY))
    linked_start = time.monotonic()
    distinct_forms = records.num_rows
    register_inputs(engine, records, tokens)
    del records, tokens  # the engine holds its own copy (DuckDB: capped, spills)
    plain_wanted = os.environ.get("DUALTRACE_BENCH_PLAIN") == "1"
    result, _params = link_registered(engine, spec, fetch_links=plain_wanted)
    done = time.monotonic()
    m = cluster_pair_metrics(_join(expand_clusters(result.clusters, duplicates), truth))
    out: dict[str, Any] = {
        "records": truth.num_rows,
        "distinct_forms": distinct_forms,
        "pairs": result.pairs,
        "seconds": done - started,
        "seconds_features": prepared - started,
        "seconds_engine_start": linked_start - prepared,
        "seconds_linkage": done - linked_start,
        "precision": m.precision,
        "recall": m.recall,
        "f1": m.f1,
        "steps": result.seconds_by_step,
        # CPU seconds per step (all threads; for the features, the normalisation
        # workers too): CPU / wall per step shows whether it ran on both cores
        "cpu_features": cpu_prepared - cpu_started,
        "cpu_steps": result.cpu_by_step,
    }
    if engine_name == "duckdb" and OURS_DUCKDB_MEMORY:
        out["duckdb_memory_limit"] = OURS_DUCKDB_MEMORY
    if plain_wanted:
        # the same links clustered as plain connected components (before the coherence
        # rule), for the comparison in the same run; after the timing, but it adds to
        # the case's CPU seconds and wall time
        plain = cluster_pair_metrics(
            _join(expand_clusters(_plain_components(result, spec.threshold), duplicates), truth)
        )
        out["plain"] = {"precision": plain.precision, "recall": plain.recall, "f1": plain.f1}
    return out


def _cpu_with_children() -> float:
    """CPU seconds of this process and of its finished children (normalisation workers)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _plain_components(result: Any, threshold: float) -> pa.Table:
    from dualtrace.trade.linkage.pipeline import coherent_clusters

    ids = result.clusters.column("id").to_pylist()
    strong = [
        (a, b, w)
        for a, b, w, p in zip(
            result.links.column("id_l").to_pylist(),
            result.links.column("id_r").to_pylist(),
            result.links.column("match_weight").to_pylist(),
            result.links.column("probability").to_pylist(),
            strict=True,
        )
        if p >= threshold
    ]
    labels = coherent_clusters(ids, strong, [], set(), coherence=0.0)
    return pa.table({"id": list(labels), "cluster_id": list(labels.values())})


def _duckdb_connection() -> duckdb.DuckDBPyConnection:
    """DuckDB as on a shared machine: bounded memory, spilling to a temp directory.

    Both tools get the same connection settings (``DUALTRACE_BENCH_DUCKDB_MEMORY``,
    default 5GB), so neither can take the machine's RAM.
    """
    con = duckdb.connect()
    limit = os.environ.get("DUALTRACE_BENCH_DUCKDB_MEMORY", "5GB")
    spill = CACHE / "duckdb-spill"
    spill.mkdir(parents=True, exist_ok=True)
    con.execute(f"SET memory_limit = '{limit}'")
    con.execute(f"SET temp_directory = '{spill}'")
    return con


def _join(clusters: pa.Table, truth: pa.Table) -> pa.Table:
    con = duckdb.connect()
    con.register("c", clusters)
    con.register("t", truth)
    table: pa.Table = con.execute(
        "SELECT c.cluster_id AS cluster, t.truth FROM c JOIN t ON t.id = c.id"
    ).to_arrow_table()
    return table


# --------------------------------------------------------------------------- Splink


def run_splink(dataset: str, engine_name: str, rows: int) -> dict[str, Any]:
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    from dualtrace.trade.linkage.evaluation import cluster_pair_metrics

    started = time.monotonic()
    if engine_name == "spark":
        from splink import SparkAPI

        from dualtrace.trade.linkage.engines import spark_session

        # Splink writes its comparison vectors and predictions as Parquet checkpoints
        # (and Spark keeps the shuffles behind them): at 10M records that ran this
        # host's disk out twice, so Splink gets zstd for both, which packs its string
        # columns tighter than the default snappy / lz4 (ours keeps the defaults)
        spark = spark_session(
            memory=SPARK_MEMORY,
            conf={
                "spark.sql.parquet.compression.codec": "zstd",
                "spark.io.compression.codec": "zstd",
            },
        )
        # Splink checkpoints its intermediate tables (tens of GB at 10M records): under
        # the bench cache (DUALTRACE_BENCH_CACHE, put it on a roomy disk), removed at exit
        spark.sparkContext.setCheckpointDir(_scratch_dir("splink-ckpt-"))
        db_api: Any = SparkAPI(spark_session=spark)  # type: ignore[no-untyped-call]
    else:
        con = _duckdb_connection()
        db_api = DuckDBAPI(connection=con)
    if dataset == "hist":
        table = duckdb.execute(
            "SELECT *, first_name || ' ' || surname AS first_name_surname FROM read_parquet(?)",
            [str(HIST)],
        ).to_arrow_table()
        truth = table.select(["unique_id", "cluster"]).rename_columns(["id", "truth"])
        settings = SettingsCreator(
            link_type="dedupe_only",
            blocking_rules_to_generate_predictions=[
                block_on("first_name", "surname"),
                block_on("surname", "dob"),
                block_on("first_name", "dob"),
                block_on("postcode_fake", "first_name"),
                block_on("postcode_fake", "surname"),
                block_on("dob", "birth_place"),
                block_on("substr(postcode_fake,1,3)", "dob"),
                block_on("substr(postcode_fake,1,3)", "first_name"),
                block_on("substr(postcode_fake,1,3)", "surname"),
                block_on("substr(first_name,1,2)", "substr(surname,1,2)", "substr(dob,1,4)"),
            ],
            comparisons=[
                cl.ForenameSurnameComparison(
                    "first_name", "surname", forename_surname_concat_col_name="first_name_surname"
                ),
                cl.DateOfBirthComparison("dob", input_is_string=True),
                cl.PostcodeComparison("postcode_fake"),
                cl.ExactMatch("birth_place").configure(term_frequency_adjustments=True),
                cl.ExactMatch("occupation").configure(term_frequency_adjustments=True),
            ],
            retain_intermediate_calculation_columns=False,
        )
        deterministic: list[Any] = [
            block_on("first_name", "surname", "dob"),
            block_on("substr(first_name,1,2)", "surname", "substr(postcode_fake,1,2)"),
            block_on("dob", "postcode_fake"),
        ]
        em_rules = [block_on("first_name", "surname"), block_on("dob")]
    else:
        strings = trade_strings(trade_file(rows))
        records, _tokens, truth, duplicates = trade_features(strings)
        # the same normalised names we use, so only the linkage method differs
        table = records.drop_columns(["is_new"]).rename_columns(
            ["unique_id", "name_key", "country", "ident", "address_key"]
        )
        # Blocking sized the way a Splink user sizes it on this data (pair counts
        # measured with DuckDB on the 1M-record file's 341,523 forms): a popular company
        # has hundreds of forms sharing one address and one tax number, so equality on
        # either alone is quadratic (address 16.0M pairs, name prefix-6 + country 20.1M
        # and, in the old EM rule, country alone ~10^10: the OOM). Each rule pairs a
        # shared key with a name condition instead: name key 0.17M, identifier + name
        # prefix-3 1.5M, address + prefix-3 7.2M, prefix-8 + country 11.9M, suffix-8 +
        # country 12.3M (typos before / after the 8th letter).
        settings = SettingsCreator(
            link_type="dedupe_only",
            blocking_rules_to_generate_predictions=[
                block_on("name_key"),
                block_on("ident", "substr(name_key,1,3)"),
                block_on("address_key", "substr(name_key,1,3)"),
                block_on("substr(name_key,1,8)", "country"),
                block_on("right(name_key,8)", "country"),
            ],
            comparisons=[
                cl.JaroWinklerAtThresholds("name_key", [0.95, 0.88]).configure(
                    term_frequency_adjustments=True
                ),
                cl.ExactMatch("country"),
                cl.ExactMatch("ident"),
                cl.LevenshteinAtThresholds("address_key", [2, 6]),
            ],
        )
        deterministic = [block_on("name_key", "country"), block_on("ident")]
        # EM on selective rules (each leaves some comparisons free to estimate)
        em_rules = [block_on("name_key"), block_on("ident", "substr(name_key,1,3)")]
    sdf = db_api.register(table)
    linker = Linker(sdf, settings)
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.6)
    linker.training.estimate_u_using_random_sampling(max_pairs=6e6)
    for rule in em_rules:
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=True
        )
    predictions = linker.inference.predict(threshold_match_probability=0.2)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=0.95
    )
    if engine_name == "spark":
        out = clusters.as_spark_dataframe().select("unique_id", "cluster_id").toArrow()
    else:
        out = con.execute(
            f"SELECT unique_id, cluster_id FROM {clusters.physical_name}"
        ).to_arrow_table()
    done = time.monotonic()
    out = out.rename_columns(["id", "cluster_id"])
    if dataset == "trade":
        from dualtrace.trade.linkage.party_resolution import expand_clusters

        out = expand_clusters(out, duplicates)
    m = cluster_pair_metrics(_join(out, truth))
    return {
        "records": truth.num_rows,
        "seconds": done - started,
        "precision": m.precision,
        "recall": m.recall,
        "f1": m.f1,
    }


# --------------------------------------------------------------------------- driver


def _scratch_dir(prefix: str) -> str:
    """A new directory under the bench cache for this case's scratch, removed at exit."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = tempfile.mkdtemp(prefix=prefix, dir=CACHE)
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def worker(args: argparse.Namespace) -> None:
    if args.engine == "spark":
        # both tools' Spark scratch (shuffle files, spills, our disk-kept tables) on the
        # cache's disk, where the case's disk use is measured; removed at exit
        os.environ["SPARK_LOCAL_DIRS"] = _scratch_dir("spark-local-")
    fn = run_ours if args.tool == "dualtrace" else run_splink
    result = fn(args.dataset, args.engine, args.rows)
    sys.stdout.write("RESULT " + json.dumps(result) + "\n")


# a Python exception's last line (``SomeError: what``), e.g. py4j's Spark error
_ERROR_LINE = re.compile(r"^[\w.]+(Error|Exception): ")
# Spark driver memory for both tools' sessions (the same builder): 2g by default;
# DUALTRACE_SPARK_MEMORY raises it for both, as `trade resolve --spark-memory` does ours
SPARK_MEMORY = os.environ.get("DUALTRACE_SPARK_MEMORY", "2g")


def measure(
    tool: str, dataset: str, engine: str, rows: int, timeout: float, max_gb: float = 0.0
) -> dict[str, Any]:
    """Run one case in a subprocess; peak RSS of its whole tree (JVM included).

    A case that runs past ``timeout`` seconds or whose tree passes ``max_gb`` (0: no
    limit) is killed, and the error says when, at what memory and after how many
    CPU seconds, so a failure is recorded as it happened rather than guessed.
    """
    cmd = [sys.executable, __file__, "--worker", "--tool", tool, "--dataset", dataset,
           "--engine", engine, "--rows", str(rows)]  # fmt: skip
    # the case's stderr goes to a file (Spark writes progress bars there): a failure
    # then reports its last Python error line rather than only an exit code
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace") as errors:
        return _run_case(cmd, timeout, max_gb, errors)


def _run_case(cmd: list[str], timeout: float, max_gb: float, errors: IO[str]) -> dict[str, Any]:
    """:func:`measure`'s watch over one case's process tree."""
    started = time.monotonic()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errors, text=True)
    peak = 0
    ps = psutil.Process(proc.pid)
    tree_cpu: dict[int, float] = {}  # last CPU seconds seen per process (the JVM too)
    # the case's scratch disk (spill, Spark's shuffles and checkpoints, all under the
    # cache): free space on its disk at the start and at its lowest, so running out
    # of disk is measured, not guessed (Splink on Spark at 10M)
    CACHE.mkdir(parents=True, exist_ok=True)
    free_start = free_low = shutil.disk_usage(CACHE).free
    while proc.poll() is None:
        free_low = min(free_low, shutil.disk_usage(CACHE).free)
        try:
            procs = [ps, *ps.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in procs))
            for p in procs:
                times = p.cpu_times()
                tree_cpu[p.pid] = times.user + times.system
        except psutil.Error:
            pass
        elapsed = time.monotonic() - started
        over_memory = max_gb > 0 and peak > max_gb * 1e9
        if elapsed > timeout or over_memory:
            with contextlib.suppress(psutil.Error):
                for p in [*ps.children(recursive=True), ps]:
                    with contextlib.suppress(psutil.Error):
                        p.kill()
            proc.wait()
            why = f"memory limit {max_gb:g} GB passed" if over_memory else "timeout"
            return {
                "error": f"killed: {why} after {elapsed:.0f} s wall, "
                f"{sum(tree_cpu.values()):.0f} CPU-s, peak {peak / 1e9:.2f} GB, "
                f"{_disk_note(free_start, free_low)}, load {os.getloadavg()[0]:.1f}"
            }
        time.sleep(0.2)
    out = proc.stdout.read() if proc.stdout else ""
    for line in out.splitlines():
        if line.startswith("RESULT "):
            result: dict[str, Any] = json.loads(line[7:])
            result["peak_gb"] = peak / 1e9
            result["scratch_gb"] = (free_start - free_low) / 1e9
            result["wall"] = time.monotonic() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            # CPU seconds of the case (user + system, its waited-for children included):
            # less noisy than wall time on a shared machine
            waited = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            result["cpu"] = max(waited, sum(tree_cpu.values()))
            result["load"] = os.getloadavg()[0]
            return result
    killed = " (killed: out of memory?)" if proc.returncode == -9 else ""
    errors.seek(0)
    lines = errors.read().splitlines()
    # the Python error line, and under py4j the Java cause it wraps (the root cause
    # is the last "Caused by:", e.g. Spark's SparkOutOfMemoryError)
    cause = [ln for ln in lines if _ERROR_LINE.match(ln)][-1:]
    java = [ln.removeprefix("Caused by: ") for ln in lines if ln.startswith("Caused by: ")]
    cause = [" <- ".join(c[:300] for c in cause + java[-1:])] if cause or java else []
    return {"error": f"exit {proc.returncode}{killed}, peak {peak / 1e9:.1f} GB, "
            f"{_disk_note(free_start, free_low)}"
            + (f": {cause[0]}" if cause else "")}  # fmt: skip


def _disk_note(free_start: int, free_low: int) -> str:
    """The case's disk use in words: free space at the start and at its lowest."""
    return (
        f"disk free {free_start / 1e9:.1f} -> {free_low / 1e9:.1f} GB "
        f"(scratch peak {(free_start - free_low) / 1e9:.1f} GB)"
    )


def engines_agree(rows: int) -> bool:
    """Our linkage of the generated trade file on DuckDB, then on Spark, from the same
    features: are the links (row for row), the EM model and the clusters identical?

    The issue asks for the same clusters on both engines; the test suite shows it on
    small inputs, this shows it at bench scale (a run's links are fetched, as
    ``trade resolve`` does). Prints each engine's counts and time and the verdicts.
    """
    from dualtrace.trade.linkage.engines import DuckDBEngine, SparkEngine, spark_session
    from dualtrace.trade.linkage.party_resolution import TRADE_PARTY_SPEC
    from dualtrace.trade.linkage.pipeline import link_registered, register_inputs

    records, tokens, _truth, _duplicates = trade_features(trade_strings(trade_file(rows)))
    found: dict[str, Any] = {}
    for name in ("duckdb", "spark"):
        started = time.monotonic()
        engine: Any = (
            DuckDBEngine(_duckdb_connection(), memory_limit=OURS_DUCKDB_MEMORY)
            if name == "duckdb"
            else SparkEngine(spark_session())
        )
        register_inputs(engine, records, tokens)
        result, params = link_registered(engine, TRADE_PARTY_SPEC)
        found[name] = (result, params)
        print(
            f"{name}: {result.pairs:,} pairs, {result.links.num_rows:,} links, "
            f"{len(set(result.clusters.column('cluster_id').to_pylist())):,} clusters of "
            f"{result.clusters.num_rows:,} distinct strings in {time.monotonic() - started:.1f} s",
            flush=True,
        )
        if name == "spark":
            engine.spark.stop()
    (duck, duck_params), (spark, spark_params) = found["duckdb"], found["spark"]
    verdicts = {
        "links": spark.links.cast(duck.links.schema).equals(duck.links),
        "model": (duck_params.prior, duck_params.m, duck_params.u)
        == (spark_params.prior, spark_params.m, spark_params.u),
        "clusters": spark.clusters.cast(duck.clusters.schema).equals(duck.clusters),
    }
    print(
        "identical on both engines: "
        + ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in verdicts.items())
    )
    return all(verdicts.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--tool", default="dualtrace")
    parser.add_argument("--dataset", default="hist")
    parser.add_argument("--engine", default="duckdb")
    parser.add_argument("--rows", type=int, default=1_000_000, help="trade records")
    parser.add_argument("--only", choices=("hist", "trade"))
    parser.add_argument("--no-spark", action="store_true")
    parser.add_argument("--only-spark", action="store_true", help="only the Spark cases")
    parser.add_argument(
        "--spark-rows", type=int, default=100_000, help="trade records for the Spark cases"
    )
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per case")
    parser.add_argument(
        "--max-gb", type=float, default=0.0, help="kill a case whose process tree passes this RSS"
    )
    parser.add_argument(
        "--tools",
        default="splink,dualtrace",
        help="comma-separated tools, run in this order (e.g. dualtrace,splink at 10M)",
    )
    parser.add_argument(
        "--plain", action="store_true", help="also score our links as plain connected components"
    )
    parser.add_argument(
        "--engines-agree",
        type=int,
        metavar="ROWS",
        help="only compare our links, model and clusters on DuckDB and Spark at ROWS records",
    )
    args = parser.parse_args()
    if args.engines_agree:
        sys.exit(0 if engines_agree(args.engines_agree) else 1)
    if args.plain:
        os.environ["DUALTRACE_BENCH_PLAIN"] = "1"
    if args.worker:
        worker(args)
        return
    datasets = [args.only] if args.only else ["hist", "trade"]
    engines = ["duckdb"] if args.no_spark else ["spark"] if args.only_spark else ["duckdb", "spark"]
    if "trade" in datasets and "duckdb" in engines:
        trade_file(args.rows)
        if not args.no_spark:
            trade_file(args.spark_rows)
    cases = [(d, e) for e in engines for d in datasets]  # all DuckDB cases first
    results = []
    for dataset, engine in cases:
        rows = args.rows if engine == "duckdb" else args.spark_rows
        for tool in [t for t in args.tools.split(",") if t in ("splink", "dualtrace")]:
            res = measure(tool, dataset, engine, rows, args.timeout, args.max_gb)
            label = "hist 50k" if dataset == "hist" else f"trade {rows:,} rec"
            results.append((label, engine, tool, res))
            if "plain" in res:
                plain = {**res, **res["plain"]}
                results.append((label, engine, "  (plain components)", plain))
            print(f"done {label} {engine} {tool}: {json.dumps(res)}", file=sys.stderr, flush=True)
    print_table(results)


def print_table(results: list[tuple[str, str, str, dict[str, Any]]]) -> None:
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average at the end (1/5/15 min): {load}; {os.cpu_count()} CPUs")
    header = (
        f"{'data':<18} {'engine':<7} {'tool':<21} {'records':>9} {'time s':>8} "
        f"{'peak GB':>8} {'CPU s':>8} {'P':>6} {'R':>6} {'F1':>6}  {'time/Splink':>11} "
        f"{'mem/Splink':>10} {'CPU/Splink':>10} {'load':>5}"
    )
    print(header)
    print("-" * len(header))
    anchors = {(d, e): r for d, e, t, r in results if t == "splink" and "error" not in r}
    for data, engine, tool, r in results:
        if "error" in r:
            print(f"{data:<18} {engine:<7} {tool:<21} {r['error']}")
            continue
        a = anchors.get((data, engine))
        ratio_t = f"{r['seconds'] / a['seconds']:.2f}x" if a else "-"
        ratio_m = f"{r['peak_gb'] / a['peak_gb']:.2f}x" if a else "-"
        ratio_c = f"{r['cpu'] / a['cpu']:.2f}x" if a and a.get("cpu") else "-"
        print(
            f"{data:<18} {engine:<7} {tool:<21} {r['records']:>9,} {r['seconds']:>8.1f} "
            f"{r['peak_gb']:>8.2f} {r['cpu']:>8.1f} {r['precision']:>6.3f} {r['recall']:>6.3f} "
            f"{r['f1']:>6.3f}  {ratio_t:>11} {ratio_m:>10} {ratio_c:>10} {r['load']:>5.1f}"
        )


if __name__ == "__main__":
    main()
