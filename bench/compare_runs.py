"""Compare the outputs of two runs of the same params, for speed work that must not change them.

Every CSV of the two run folders (contract tables, rolling estimates, per-unit parts) is
compared byte for byte, and the executed notebooks output by output. A figure's static
rendition may differ in format (a PNG in one run, an SVG in the other, as before and after
the SVG change); everything else in the figure output (the plotly HTML, the text) must be
equal. Injected parameters differ when the two runs come from different checkouts, so the
``injected-parameters`` cell's source is not compared.

Usage::

    python bench/compare_runs.py reports/sample /tmp/other/sample

Exits 1 when anything differs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

STATIC = ("image/png", "image/svg+xml")


def csv_files(root: Path) -> list[Path]:
    return sorted(
        p.relative_to(root)
        for p in root.rglob("*.csv")
        if not {"site", ".quarto-stage"} & set(p.parts)
    )


def compare(a: Path, b: Path) -> list[str]:
    problems: list[str] = []
    ca, cb = csv_files(a), csv_files(b)
    if ca != cb:
        problems.append(f"CSV files differ: {sorted(set(ca) ^ set(cb))[:5]}")
    same = [p for p in ca if p in cb]
    diff = [p for p in same if (a / p).read_bytes() != (b / p).read_bytes()]
    problems += [f"{p}: bytes differ" for p in diff]
    print(f"{len(same)} CSV files compared, {len(diff)} differ")
    figures = outputs = 0
    for nb_a in sorted((a / "notebooks").glob("*.ipynb")):
        nb_b = b / "notebooks" / nb_a.name
        if not nb_b.exists():
            problems.append(f"{nb_a.name}: missing in {b}")
            continue
        x, y = nbformat.read(nb_a, as_version=4), nbformat.read(nb_b, as_version=4)
        if len(x.cells) != len(y.cells):
            problems.append(f"{nb_a.name}: {len(x.cells)} cells against {len(y.cells)}")
            continue
        for cx, cy in zip(x.cells, y.cells, strict=True):
            if cx.source != cy.source and cx.get("id") != "injected-parameters":
                problems.append(f"{nb_a.name} cell {cx.get('id')}: source differs")
            ox_all, oy_all = cx.get("outputs", []), cy.get("outputs", [])
            if len(ox_all) != len(oy_all):
                problems.append(f"{nb_a.name} cell {cx.get('id')}: number of outputs differs")
                continue
            for ox, oy in zip(ox_all, oy_all, strict=True):
                dx, dy = dict(ox.get("data", {})), dict(oy.get("data", {}))
                if any(m in dx for m in STATIC) and any(m in dy for m in STATIC):
                    figures += 1
                    for m in STATIC:
                        dx.pop(m, None)
                        dy.pop(m, None)
                    if dx != dy:
                        problems.append(f"{nb_a.name}: a figure's plotly HTML or text differs")
                elif ox != oy:
                    problems.append(f"{nb_a.name} cell {cx.get('id')}: an output differs")
                else:
                    outputs += 1
    print(f"notebooks: {figures} figures and {outputs} other outputs compared")
    return problems


def main() -> None:
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    problems = compare(Path(sys.argv[1]), Path(sys.argv[2]))
    for p in problems[:20]:
        print("DIFFERS:", p)
    print("same" if not problems else f"{len(problems)} differences")
    raise SystemExit(1 if problems else 0)


if __name__ == "__main__":
    main()
