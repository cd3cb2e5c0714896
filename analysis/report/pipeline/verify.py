"""``factor-report verify``: re-execute a published run from its frozen data and compare.

A reviewer who received a run folder (``reports/<name>/``) can check that its
numbers follow from its data and the code at hand, without the network:

1. the data snapshot (``data/``) is hashed as it is now and compared with the
   hashes the manifest recorded (``data.hashes``);
2. the run is executed again, in a temporary folder, from a copy of that
   snapshot, with the params the manifest recorded, dated like the original
   (``SOURCE_DATE_EPOCH`` from the manifest's ``date``), without rendering;
3. every contract table of the run's kind (``<table>.csv``) is compared byte
   for byte with the published one.

The run folder itself is only read. The module knows nothing of any kind: the
tables come from the kind's :attr:`~.kind.ReportKind.tables`.

How the params are rebuilt
--------------------------
The manifest holds the params as JSON, with each user data file replaced by a
public label (``"prices.csv (sha256 73b534ad3db3)"``), not a path. The labels
are written back unchanged into a params file in the temporary folder. That is
honest because nothing in the re-execution opens a data file: schema
validation only checks which file keys are given (not that the files exist),
the runner is told to use the copied snapshot (``reuse_data``) instead of the
kind's fetch, which is the only code that reads the files, and the notebooks
read the snapshot. Should anything try to open a data file all the same, it
fails loudly (no file has that name) instead of reading some other file. The
snapshot is what the data hashes certify, so nothing else needs rebuilding.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from itertools import zip_longest
from pathlib import Path
from typing import Any

import yaml

from analysis.errors import DataError, ParamsError
from analysis.report.pipeline import runner, warm
from analysis.report.pipeline.kind import ReportKind
from analysis.report.pipeline.params import RunParams, validate_params
from analysis.report.pipeline.paths import RunPaths
from analysis.report.pipeline.snapshot import RunData

EXIT_SAME = 0
EXIT_DIFFERS = 1

_SHOW = 200
"""Characters of a differing CSV line that are printed."""


@dataclass(frozen=True)
class Check:
    """One comparison: a contract table or a data hash.

    Attributes
    ----------
    name
        What was compared (``fit.csv``, ``data prices``).
    same
        Whether it matches.
    summary
        The rest of the report's line (``same (12 rows)``, ``differs at line 3 ...``).
    details
        Further lines (the two differing lines of a CSV), printed indented.
    """

    name: str
    same: bool
    summary: str
    details: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        """The check as printed: ``"<name>: <summary>"`` and its indented details."""
        return [f"{self.name}: {self.summary}", *(f"  {d}" for d in self.details)]


@dataclass
class VerifyResult:
    """Every comparison of one ``verify``, and where the re-execution ran."""

    run: Path
    checks: list[Check] = field(default_factory=list)
    workdir: Path | None = None
    """The temporary folder, when it was kept (``--keep``)."""

    @property
    def exit_code(self) -> int:
        """0 when every check matches, else 1."""
        return EXIT_SAME if self.checks and all(c.same for c in self.checks) else EXIT_DIFFERS

    def lines(self) -> list[str]:
        """The report: one line per check, then the verdict (and the kept folder)."""
        out = [line for c in self.checks for line in c.lines()]
        bad = [c.name for c in self.checks if not c.same]
        if bad:
            out.append(f"{self.run}: NOT reproduced: {len(bad)} of {len(self.checks)} differ")
        else:
            out.append(f"{self.run}: reproduced: every table and data hash is the same")
        if self.workdir is not None:
            out.append(f"re-execution kept in {self.workdir}")
        return out


# ------------------------------------------------------------------ the run folder


def read_run_folder(
    folder: Path, kinds: dict[str, ReportKind]
) -> tuple[ReportKind, dict[str, Any]]:
    """The kind and manifest of a run folder, after checking it has all ``verify`` reads.

    Raises
    ------
    ParamsError
        Naming the folder and everything that is missing (not a folder, no
        ``manifest.json``, a manifest key, ``data/data.json``, a table).
    """
    if not folder.is_dir():
        what = "does not exist" if not folder.exists() else "is not a folder"
        raise ParamsError(f"{folder}: {what}; give a run folder such as reports/<name>")
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise ParamsError(
            f"{folder}: not a run folder: no manifest.json "
            "(a run folder is reports/<name>/, made by 'factor-report run')"
        )
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ParamsError(f"{manifest_path}: not a readable JSON manifest ({exc})") from None
    if not isinstance(manifest, dict):
        raise ParamsError(f"{manifest_path}: not a run manifest (a JSON object)")
    missing = [
        f"manifest.json key {key!r}"
        for key, ok in (
            ("kind", "kind" in manifest),
            ("params", isinstance(manifest.get("params"), dict)),
            ("date", "date" in manifest),
            ("data.hashes", isinstance((manifest.get("data") or {}).get("hashes"), dict)),
        )
        if not ok
    ]
    kind = kinds.get(str(manifest.get("kind")))
    if "kind" in manifest and kind is None:
        missing.append(
            f"a known kind (manifest says {manifest['kind']!r}; known: {', '.join(kinds)})"
        )
    if not (RunPaths(folder).data / "data.json").is_file():
        missing.append("data/data.json (the frozen data snapshot)")
    if kind is not None:
        missing += [
            f"{t.name}.csv" for t in kind.tables if not (folder / f"{t.name}.csv").is_file()
        ]
    if missing:
        raise ParamsError(f"{folder}: not a complete run folder: missing {'; '.join(missing)}")
    assert kind is not None
    return kind, manifest


# ------------------------------------------------------------------ data hashes


def snapshot_hashes(folder: Path) -> dict[str, str]:
    """Content hashes of the snapshot in ``folder`` as its files are now (read without
    :meth:`RunData.load`'s check against the hashes ``data.json`` records)."""
    return RunData.load(folder, check=False).hashes()


def compare_hashes(recorded: dict[str, str], folder: Path) -> list[Check]:
    """One check per data hash: the manifest's ``recorded`` hashes against ``folder``'s files."""
    try:
        actual = snapshot_hashes(folder)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return [Check("data", False, f"cannot read the snapshot in {folder}: {exc}")]
    checks = []
    for key in sorted(set(recorded) | set(actual)):
        name = f"data {key}"
        if key not in actual:
            checks.append(Check(name, False, "in the manifest, not in the snapshot"))
        elif key not in recorded:
            checks.append(Check(name, False, "in the snapshot, not in the manifest"))
        elif recorded[key] == actual[key]:
            checks.append(Check(name, True, f"same (sha256 {actual[key][:12]})"))
        else:
            checks.append(
                Check(
                    name,
                    False,
                    f"hash mismatch: manifest sha256 {recorded[key][:12]}, "
                    f"snapshot sha256 {actual[key][:12]}",
                )
            )
    return checks


# ------------------------------------------------------------------ tables


def _rows(text: str) -> int:
    """Data rows of a CSV text (records after the header; quoted newlines count once)."""
    return max(sum(1 for _ in csv.reader(io.StringIO(text))) - 1, 0)


def _show(line: str | None) -> str:
    if line is None:
        return "(no such line)"
    text = line.rstrip("\r\n")
    return text if len(text) <= _SHOW else text[: _SHOW - 1] + "…"


def compare_csv(name: str, published: Path, rerun: Path) -> Check:
    """Compare two CSV files byte for byte; on a difference, say where.

    The summary names the first differing line (1-based, the header is line
    1) and both row counts; the details show that line of each file.
    """
    if not rerun.is_file():
        return Check(name, False, "the re-execution wrote no such table")
    a, b = published.read_bytes(), rerun.read_bytes()
    if a == b:
        return Check(name, True, f"same ({_rows(a.decode('utf-8', 'replace'))} rows)")
    ta, tb = a.decode("utf-8", "replace"), b.decode("utf-8", "replace")
    pairs = zip_longest(ta.splitlines(keepends=True), tb.splitlines(keepends=True))
    number, (la, lb) = next((i, p) for i, p in enumerate(pairs, 1) if p[0] != p[1])
    sa, sb = _show(la), _show(lb)
    if sa == sb:  # they differ only in what is not shown (a line ending)
        sa, sb = repr(la), repr(lb)
    return Check(
        name,
        False,
        f"differs at line {number} (published {_rows(ta)} rows, re-executed {_rows(tb)} rows)",
        (f"published:   {sa}", f"re-executed: {sb}"),
    )


# ------------------------------------------------------------------ re-execution


@contextlib.contextmanager
def source_date(day: str) -> Iterator[None]:
    """Set ``SOURCE_DATE_EPOCH`` to midnight UTC of ``day`` (``YYYY-MM-DD``), then restore it."""
    try:
        when = datetime.combine(date.fromisoformat(day), datetime.min.time(), UTC)
    except (TypeError, ValueError):
        raise ParamsError(f"manifest.json: 'date' must be YYYY-MM-DD, got {day!r}") from None
    before = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(when.timestamp()))
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = before


def rebuild_params(
    kind: ReportKind, manifest: dict[str, Any], manifest_path: Path, workdir: Path
) -> tuple[Path, RunParams]:
    """Write the manifest's params to ``workdir/params.yml`` and validate them.

    Data file labels stay as they are (see the module docstring). A params
    error names ``manifest_path``, not the temporary file.
    """
    params_file = workdir / "params.yml"
    doc = {**manifest["params"], "kind": kind.name}
    params_file.write_text(
        yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    try:
        params = validate_params(params_file, doc, kind.schema)
    except ParamsError as exc:
        raise ParamsError(str(exc).replace(str(params_file), f"{manifest_path} params")) from None
    return params_file, params


def reexecute(
    kind: ReportKind,
    manifest: dict[str, Any],
    folder: Path,
    workdir: Path,
    *,
    jobs: int,
    progress: bool,
    log: Callable[[str], None],
) -> tuple[RunPaths, runner.RunSummary]:
    """Execute the run again in ``workdir`` from a copy of ``folder``'s snapshot (no rendering)."""
    params_file, params = rebuild_params(kind, manifest, folder / "manifest.json", workdir)
    out = workdir / "reports"
    paths = RunPaths(out / params.name)
    shutil.copytree(RunPaths(folder).data, paths.data)
    with source_date(str(manifest["date"])):
        summary = runner.run(
            kind,
            params,
            params_file,
            out=out,
            jobs=jobs,
            execute_only=True,
            reuse_data=True,
            progress=progress,
            log=log,
        )
    return paths, summary


def verify(
    run_folder: str | Path,
    kinds: dict[str, ReportKind],
    *,
    jobs: int = 1,
    keep: bool = False,
    progress: bool = False,
    log: Callable[[str], None] = lambda s: print(s, file=sys.stderr),
) -> VerifyResult:
    """Check a run folder's data hashes and re-execute it to compare its tables.

    Parameters
    ----------
    run_folder
        A run's folder (``reports/<name>``); only read.
    kinds
        The registered report kinds, by name (the manifest's ``kind`` picks one).
    jobs
        Notebooks executed in parallel.
    keep
        Keep the temporary folder of the re-execution (its path is in the result).
    progress
        Show the progress bar of the re-execution.
    log
        Where progress messages go (the run's own messages included).

    Returns
    -------
    VerifyResult
        One check per data hash and per contract table. When the snapshot does
        not match the manifest the run is not re-executed (the notebooks would
        read data the manifest does not vouch for) and the tables are reported
        as not compared.

    Raises
    ------
    ParamsError
        When ``run_folder`` is not a complete run folder, or its params are invalid.
    """
    folder = Path(run_folder)
    kind, manifest = read_run_folder(folder, kinds)
    result = VerifyResult(run=folder)
    result.checks += compare_hashes(manifest["data"]["hashes"], RunPaths(folder).data)
    names = [f"{t.name}.csv" for t in kind.tables]
    if not all(c.same for c in result.checks):
        result.checks += [
            Check(n, False, "not compared: the data snapshot does not match the manifest")
            for n in names
        ]
        return result
    workdir = Path(tempfile.mkdtemp(prefix=f"factor-report-verify-{folder.name}-"))
    try:
        log(f"re-executing {folder} ({kind.name}) in {workdir}")
        try:
            paths, summary = reexecute(
                kind, manifest, folder, workdir, jobs=jobs, progress=progress, log=log
            )
        except DataError as exc:
            result.checks.append(Check("re-execution", False, f"failed: {exc}"))
            return result
        for line in summary.lines()[:-2]:  # the site and PDF lines: nothing was rendered
            log(line)
        result.checks += [compare_csv(n, folder / n, paths.root / n) for n in names]
    finally:
        # this process's warm kernel (``jobs`` 1) works in, and logs to, the temporary
        # folder: stop it, or the next notebook it is given finds no working directory
        warm.POOL.shutdown()
        if keep:
            result.workdir = workdir
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return result
