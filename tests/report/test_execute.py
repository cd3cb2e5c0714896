"""Papermill execution: errors kept in the notebook, deadline, atomic writes, clean metadata."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from analysis.report.pipeline.execute import (
    execute_notebook,
    partial_path,
    read_front_matter,
    remove_partials,
)


def tiny_template(tmp_path: Path, body: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_raw_cell("---\ntitle: placeholder\n---"),
        nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(body),
        nbformat.v4.new_code_cell("print('after', x)"),
    ]
    for i, c in enumerate(nb.cells):
        c["id"] = f"c{i}"
    path = tmp_path / "template.ipynb"
    nbformat.write(nb, path)
    return path


def run(tmp_path: Path, body: str, timeout: float = 60, x: int = 5):
    template = tiny_template(tmp_path, body)
    out = tmp_path / "out" / "T.ipynb"
    return execute_notebook(
        template,
        out,
        {"x": x},
        meta={"title": "T — factor exposures", "date": "2026-01-02"},
        cwd=tmp_path,
        timeout=timeout,
    )


def outputs_text(nb: nbformat.NotebookNode) -> str:
    parts = []
    for c in nb.cells:
        for o in c.get("outputs", []):
            parts.append(o.get("text", "") + "".join(o.get("traceback", [])))
    return "\n".join(parts)


def test_success_sets_front_matter_and_strips_timestamps(tmp_path: Path) -> None:
    res = run(tmp_path, "y = x * 2")
    assert res.ok and res.error is None
    nb = nbformat.read(res.path, as_version=4)
    assert read_front_matter(nb) == {"title": "T — factor exposures", "date": "2026-01-02"}
    assert "after 5" in outputs_text(nb)
    text = res.path.read_text()
    for noise in ("start_time", "end_time", '"duration"', str(tmp_path)):
        assert noise not in text
    assert set(res.cell_seconds) >= {"c2", "c3"}
    assert not partial_path(res.path).exists()


def test_same_inputs_give_identical_notebooks(tmp_path: Path) -> None:
    a = run(tmp_path, "print(sum(range(x)))").path.read_bytes()
    b = run(tmp_path, "print(sum(range(x)))").path.read_bytes()
    assert a == b


def test_error_is_kept_in_the_notebook(tmp_path: Path) -> None:
    res = run(tmp_path, "raise ValueError('no prices for ZZZZ')")
    assert not res.ok
    assert res.error == "ValueError: no prices for ZZZZ"
    nb = nbformat.read(res.path, as_version=4)
    assert "no prices for ZZZZ" in outputs_text(nb)
    assert "after" not in outputs_text(nb)  # execution stopped at the failing cell


def test_deadline_covers_the_whole_notebook(tmp_path: Path) -> None:
    res = run(tmp_path, "import time\ntime.sleep(30)", timeout=3)
    assert not res.ok
    assert res.error is not None and res.error.startswith("Timeout: notebook exceeded 3 s")
    assert res.seconds < 25
    assert res.path.exists()  # the partial notebook is kept under the final name, with the error


def test_stale_partials_are_removed(tmp_path: Path) -> None:
    folder = tmp_path / "nb"
    folder.mkdir()
    stale = partial_path(folder / "AAPL.ipynb")
    stale.write_text("{half a notebook")
    (folder / "MSFT.ipynb").write_text("{}")
    assert remove_partials(folder) == [stale]
    assert not stale.exists() and (folder / "MSFT.ipynb").exists()


@pytest.mark.parametrize(
    "source",
    ["---\ntitle: A\n---", "no front matter", ""],
)
def test_read_front_matter(source: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_raw_cell(source)]
    assert read_front_matter(nb) == ({"title": "A"} if source.startswith("---") else {})
