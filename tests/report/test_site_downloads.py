"""The site's zipped downloads: reproducible bytes, built once while their files are unchanged."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest

from analysis.report.pipeline import site


def test_zip_is_reproducible_and_rebuilt_only_when_a_file_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "rolling"
    folder.mkdir()
    (folder / "A_capm.csv").write_text("date,beta\n2020-01-02,1.0\n")
    (folder / "B_capm.csv").write_text("date,beta\n2020-01-02,0.5\n")
    (folder / "notes.txt").write_text("not a table")
    built = []
    real = zipfile.ZipFile.writestr

    def counting(self: zipfile.ZipFile, info: zipfile.ZipInfo, data: bytes) -> None:
        built.append(info.filename)
        real(self, info, data)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", counting)
    first = site.zip_folder(folder, "rolling")
    assert built == ["rolling/A_capm.csv", "rolling/B_capm.csv"]
    assert site.zip_folder(folder, "rolling") is first  # unchanged: not compressed again
    assert len(built) == 2
    with zipfile.ZipFile(io.BytesIO(first)) as zf:
        assert zf.read("rolling/B_capm.csv") == b"date,beta\n2020-01-02,0.5\n"
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}

    (folder / "B_capm.csv").write_text("date,beta\n2020-01-02,0.75\n")
    second = site.zip_folder(folder, "rolling")
    assert len(built) == 4 and second != first
    with zipfile.ZipFile(io.BytesIO(second)) as zf:
        assert zf.read("rolling/B_capm.csv") == b"date,beta\n2020-01-02,0.75\n"

    # same content written again (new modification time): rebuilt, and the same bytes
    st = (folder / "B_capm.csv").stat()
    os.utime(folder / "B_capm.csv", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert site.zip_folder(folder, "rolling") == second
    assert len(built) == 6
