"""``factor-report``: the command line (thin: parses arguments, calls :mod:`analysis.report`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from analysis import __version__
from analysis.errors import AnalysisError, ParamsError

EXIT_USAGE = 2


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("params", type=Path, help="params file, e.g. params/sample.yml")
    p.add_argument(
        "--out", type=Path, default=Path("reports"), help="output root (default: reports)"
    )
    p.add_argument(
        "--debug", action="store_true", help="show tracebacks instead of one-line errors"
    )


def _execution(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--jobs", "-j", type=int, default=1, help="notebooks executed in parallel (default 1)"
    )
    p.add_argument("--force", action="store_true", help="re-run units whose inputs are unchanged")
    p.add_argument("--refresh", action="store_true", help="download again even if cached")
    p.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="seconds per notebook (default: params 'timeout')",
    )
    p.add_argument(
        "--only", default=None, help="comma-separated subset of the run's units (tickers, targets)"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument(
        "--executor",
        choices=["local", "dask"],
        default="local",
        help="local: this machine's cores (--jobs processes); dask: a dask.distributed "
        "cluster (a LocalCluster of --jobs workers unless --scheduler is given)",
    )
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="dask scheduler address, e.g. tcp://10.0.0.5:8786 (implies --executor dask)",
    )
    p.add_argument(
        "--fresh-kernels",
        action="store_true",
        help="start a new kernel for every notebook instead of a warm, reset one per worker",
    )


def _renderer(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--renderer",
        choices=["auto", "quarto", "builtin"],
        default="auto",
        help="auto: Quarto if 'quarto' is on PATH, else the built-in renderer",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="factor-report",
        description="Reproducible factor-research reports (exposure, forecast): one "
        "papermill notebook per unit, rendered to a static site and PDFs.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", help="fetch data, execute every notebook, render site and PDFs")
    _common(p)
    _execution(p)
    _renderer(p)

    p = sub.add_parser("execute", help="fetch data and execute the notebooks (no rendering)")
    _common(p)
    _execution(p)

    p = sub.add_parser("render", help="render site and PDFs from already executed notebooks")
    _common(p)
    _renderer(p)
    p.add_argument("--no-progress", action="store_true", help="no progress bar")

    p = sub.add_parser("fetch", help="download the run's data into the cache and its snapshot")
    _common(p)
    p.add_argument("--refresh", action="store_true", help="download again even if cached")

    p = sub.add_parser(
        "verify",
        help="re-execute a run from its frozen data in a temporary folder and compare its "
        "tables and data hashes with the published ones (exit 0: same, 1: differs)",
    )
    p.add_argument("run_folder", type=Path, help="a run folder, e.g. reports/sample")
    p.add_argument(
        "--jobs", "-j", type=int, default=1, help="notebooks executed in parallel (default 1)"
    )
    p.add_argument(
        "--keep", action="store_true", help="keep the temporary folder and print its path"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument(
        "--debug", action="store_true", help="show tracebacks instead of one-line errors"
    )

    p = sub.add_parser("index", help="write <out>/index.html linking every run under <out>")
    p.add_argument(
        "--out", type=Path, default=Path("reports"), help="output root (default: reports)"
    )
    p.add_argument("--debug", action="store_true")

    p = sub.add_parser("list", help="list params files, report kinds and existing runs")
    p.add_argument("folder", nargs="?", type=Path, default=Path("params"))
    p.add_argument("--out", type=Path, default=Path("reports"))
    p.add_argument("--debug", action="store_true")
    return parser


def _list(folder: Path, out: Path) -> int:
    from analysis.report.kinds import KINDS, load_params

    print("Report kinds:")
    for k in KINDS.values():
        print(f"  {k.name:<10} templates/{k.template}: {k.description}")
    print(f"\nParams files in {folder}/:")
    files = sorted(folder.glob("*.yml")) + sorted(folder.glob("*.yaml"))
    for f in files:
        try:
            p = load_params(f)
        except ParamsError as exc:
            print(f"  {f}: INVALID: {str(exc).splitlines()[0]}")
            continue
        kind = KINDS[p.kind]
        models = ", ".join(_model_ids(p))
        print(
            f"  {f}: {p.name} ({p.kind}) [{p.data.source}] {len(p.units)} "
            f"{kind.unit_noun}s; {models}"
        )
        manifest = out / p.name / "manifest.json"
        if manifest.exists():
            import json

            doc = json.loads(manifest.read_text(encoding="utf-8"))
            statuses = [t.get("status") for t in doc.get("units", {}).values()]
            print(
                f"      last run {doc.get('date')}: "
                + ", ".join(f"{statuses.count(s)} {s}" for s in dict.fromkeys(statuses))
                + f" -> {out / p.name / 'site' / 'index.html'}"
            )
    if not files:
        print("  (none)")
    return 0


def _model_ids(params: object) -> list[str]:
    resolved = getattr(params, "resolved_models", None)
    if resolved is not None:
        return [m.id for m in resolved()]
    return [m.id for m in getattr(params, "models", [])]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code (0 ok, 3 partial failure, 1 error, 2 bad input).

    ``verify`` returns 0 when the run is reproduced and 1 when anything differs.
    """
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except ParamsError as exc:
        if args.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except AnalysisError as exc:
        if args.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; the next run completes what was left", file=sys.stderr)
        return 130


def _dispatch(args: argparse.Namespace) -> int:
    from analysis.report import commands as runner

    if args.command == "list":
        return _list(args.folder, args.out)
    if args.command == "index":
        from analysis.report.pipeline.runs_index import write_runs_index

        print(f"Runs: {write_runs_index(args.out)}")
        return 0
    if args.command == "fetch":
        paths, data = runner.fetch(args.params, out=args.out, refresh=args.refresh)
        print(
            f"data: {data.source}, {data.prices.shape[1]} series, "
            f"{data.prices.index.min():%Y-%m-%d} to {data.prices.index.max():%Y-%m-%d}"
        )
        for t, reason in data.failed.items():
            print(f"  no prices for {t}: {reason}")
        print(f"snapshot: {paths.data}")
        return 0
    if args.command == "verify":
        if args.jobs < 1:
            raise ParamsError(f"--jobs must be >= 1, got {args.jobs}")
        result = runner.verify(
            args.run_folder, jobs=args.jobs, keep=args.keep, progress=not args.no_progress
        )
        for line in result.lines():
            print(line)
        return result.exit_code
    if args.command == "render":
        summary = runner.render(
            args.params, out=args.out, renderer=args.renderer, progress=not args.no_progress
        )
    else:
        if args.jobs < 1:
            raise ParamsError(f"--jobs must be >= 1, got {args.jobs}")
        only = [t.strip() for t in args.only.split(",")] if args.only else None
        summary = runner.run(
            args.params,
            out=args.out,
            jobs=args.jobs,
            renderer=getattr(args, "renderer", "builtin"),
            force=args.force,
            refresh=args.refresh,
            progress=not args.no_progress,
            only=only,
            execute_only=args.command == "execute",
            timeout=args.timeout,
            executor="dask" if args.scheduler else args.executor,
            scheduler=args.scheduler,
            fresh_kernels=args.fresh_kernels,
        )
    for line in summary.lines():
        print(line)
    return summary.exit_code


if __name__ == "__main__":
    sys.exit(main())
