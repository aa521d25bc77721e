"""Longer fuzzing of every reader: coverage-guided (atheris/libFuzzer) beside blind mutation.

The test suite runs a dozen derandomized mutations per reader; this runs each reader for
a fixed time, twice on the same seeds: once under atheris (libFuzzer's coverage-guided
mutation over instrumented dualtrace code) and once with blind random byte mutation (the
anchor: what fuzzing finds without coverage feedback). It prints inputs tried, inputs per
second, failures (any exception other than InputError, or a hang) and distinct failure
signatures; failing inputs are saved under ``--out`` for reproduction with
``dualtrace.security.reader_fuzzing.run_target``.

    .venv/bin/python bench/fuzz.py --seconds 30                 # every reader
    .venv/bin/python bench/fuzz.py --seconds 120 --only ofac_xml un_xml
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
sys.path.insert(0, str(REPO))


class Tally:
    """Counts written to a JSON file as the worker goes, so a killed worker still reports."""

    def __init__(self, path: Path, out: Path, target: str, mode: str) -> None:
        self.path, self.out, self.target, self.mode = path, out, target, mode
        self.inputs = 0
        self.failures = 0
        self.slow = 0
        self.signatures: dict[str, str] = {}
        self.started = time.monotonic()
        self.last_write = 0.0

    def record(self, data: bytes, outcome: str, detail: str) -> None:
        self.inputs += 1
        if outcome in ("crash", "hang"):
            self.failures += 1
            signature = f"{outcome}: {detail.split(':', 1)[0]}"
            if signature not in self.signatures:
                digest = hashlib.sha256(data).hexdigest()[:16]
                self.out.mkdir(parents=True, exist_ok=True)
                saved = self.out / f"{self.target}-{self.mode}-{digest}.bin"
                saved.write_bytes(data)
                flat = " ".join(detail.split())
                self.signatures[signature] = f"{flat[:160]} ({saved.name})"
        now = time.monotonic()
        if outcome in ("crash", "hang") or now - self.last_write > 1.0:
            self.write()

    def write(self) -> None:
        self.last_write = time.monotonic()
        self.path.write_text(
            json.dumps(
                {
                    "inputs": self.inputs,
                    "failures": self.failures,
                    "slow": self.slow,
                    "seconds": time.monotonic() - self.started,
                    "signatures": self.signatures,
                }
            )
        )


def worker(target_name: str, mode: str, seconds: float, tally_path: Path, out: Path) -> None:
    """One reader, one mode, until the time is up (run as a subprocess)."""
    import importlib

    if mode == "atheris":
        import atheris

        with atheris.instrument_imports(include=["dualtrace"]):
            from dualtrace.security import reader_fuzzing as rf

            target = next(t for t in rf.TARGETS if t.name == target_name)
            importlib.import_module(target.module)  # instrument the reader, not just us
    else:
        from dualtrace.security import reader_fuzzing as rf

        target = next(t for t in rf.TARGETS if t.name == target_name)
    seeds = rf.load_seeds(target, DATA)
    # warm-up outside the clock: first calls import parsers and build caches
    rf.run_target(target, seeds[0], timeout=120.0)
    tally = Tally(tally_path, out, target_name, mode)
    workdir = Path(tempfile.mkdtemp(prefix="dt-fuzz-"))

    def one(data: bytes) -> None:
        result = rf.run_target(target, data, workdir, timeout=5.0)
        if result.outcome == "hang":
            # on a busy shared machine 5 s is sometimes just starvation: a hang counts
            # only if the same input is still running after 60 s
            again = rf.run_target(target, data, workdir, timeout=60.0)
            if again.outcome != "hang":
                tally.slow += 1
                result = again
        tally.record(data, result.outcome, result.detail)

    if mode == "atheris":
        corpus = Path(tempfile.mkdtemp(prefix="dt-corpus-"))
        for i, seed in enumerate(seeds):
            (corpus / f"seed{i}").write_bytes(seed)
        import atheris

        atheris.Setup(
            [
                sys.argv[0],
                f"-max_total_time={int(seconds)}",
                "-rss_limit_mb=3072",
                "-timeout=30",
                "-max_len=65536",
                str(corpus),
            ],
            one,
        )
        atheris.Fuzz()  # exits the process when the time is up
    else:
        rng = random.Random(20260101)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            data = bytearray(rng.choice(seeds))
            for _ in range(rng.randint(1, 8)):
                pos = rng.randrange(max(1, len(data)))
                choice = rng.random()
                if choice < 0.4 and data:
                    data[pos] = rng.randrange(256)
                elif choice < 0.7:
                    data[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
                elif choice < 0.9:
                    del data[pos : pos + rng.randint(1, 256)]
                else:
                    del data[pos:]
            one(bytes(data))
        tally.write()


def run_all(seconds: float, only: list[str] | None, out: Path) -> None:
    from dualtrace.security.reader_fuzzing import TARGETS

    targets = [t.name for t in TARGETS if not only or t.name in only]
    rows = []
    for name in targets:
        figures = {}
        for mode in ("atheris", "blind"):
            tally_path = Path(tempfile.mkstemp(prefix=f"dt-tally-{name}-{mode}-")[1])
            cmd = [
                sys.executable,
                __file__,
                "--worker",
                name,
                "--mode",
                mode,
                "--seconds",
                str(seconds),
                "--tally",
                str(tally_path),
                "--out",
                str(out),
            ]
            proc = subprocess.run(
                cmd, capture_output=True, text=True, timeout=seconds * 4 + 180, check=False
            )
            try:
                data = json.loads(tally_path.read_text() or "{}")
            except json.JSONDecodeError:
                data = {}
            tally_path.unlink(missing_ok=True)
            if not data:
                data = {"inputs": 0, "failures": 0, "seconds": seconds, "signatures": {}}
                data["signatures"]["worker died"] = proc.stderr.strip().splitlines()[-1:]
            figures[mode] = data
        rows.append((name, figures))
        a, b = figures["atheris"], figures["blind"]
        print(
            f"{name:20} atheris {a['inputs']:>7} inputs {len(a['signatures']):>2} sigs | "
            f"blind {b['inputs']:>7} inputs {len(b['signatures']):>2} sigs",
            flush=True,
        )

    print()
    print(f"Fuzzing, {seconds:.0f} s per reader per mode (2 shared cores)")
    header = (
        f"{'reader':20} {'atheris in':>10} {'in/s':>7} {'fail':>5} {'sigs':>4} | "
        f"{'blind in':>9} {'in/s':>7} {'fail':>5} {'sigs':>4}"
    )
    print(header)
    print("-" * len(header))
    total = {"atheris": [0, 0], "blind": [0, 0]}
    for name, figures in rows:
        cells = []
        for mode in ("atheris", "blind"):
            d = figures[mode]
            rate = d["inputs"] / max(d["seconds"], 1e-9)
            cells.append(
                f"{d['inputs']:>9} {rate:>7.1f} {d['failures']:>5} {len(d['signatures']):>4}"
            )
            total[mode][0] += d["inputs"]
            total[mode][1] += len(d["signatures"])
        print(f"{name:20} {cells[0]} | {cells[1]}")
    print("-" * len(header))
    print(
        f"{'total':20} {total['atheris'][0]:>10} {'':>7} {'':>5} {total['atheris'][1]:>4} | "
        f"{total['blind'][0]:>9} {'':>7} {'':>5} {total['blind'][1]:>4}"
    )
    print()
    for name, figures in rows:
        for mode in ("atheris", "blind"):
            for sig, detail in figures[mode]["signatures"].items():
                print(f"  {name} [{mode}] {sig} -> {detail}")
    print(f"\nfailing inputs saved under {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="per reader per mode")
    parser.add_argument("--only", nargs="*", help="reader names (see reader_fuzzing.TARGETS)")
    parser.add_argument(
        "--out", type=Path, default=Path(tempfile.gettempdir()) / "dualtrace-fuzz-findings"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="atheris", help=argparse.SUPPRESS)
    parser.add_argument("--tally", type=Path, help=argparse.SUPPRESS)
    args, _ = parser.parse_known_args()
    if args.worker:
        os.environ.setdefault("PYTHONHASHSEED", "0")
        worker(args.worker, args.mode, args.seconds, args.tally, args.out)
    else:
        run_all(args.seconds, args.only, args.out)


if __name__ == "__main__":
    main()
