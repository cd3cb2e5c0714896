"""Notebook display objects that serve the HTML site and the PDF from one output.

Each object returns a MIME bundle from ``_repr_mimebundle_``; renderers pick
the type they can use, the way Quarto does (HTML: ``text/html`` first; typst
PDF: ``text/markdown`` first, then ``image/svg+xml``):

* :class:`Figure` carries ``text/html`` (an interactive plotly div that expects
  plotly.js on the page, loaded once per site from a relative path) and
  ``image/svg+xml`` (the static matplotlib rendition, vector, its text kept as
  text in DejaVu Sans, which the PDF embeds). It carries no ``text/markdown``,
  so the PDF gets the SVG.
* :class:`Table` carries ``text/html`` (escaped, styled by the site CSS) and
  ``text/markdown`` (a pandoc simple table, which becomes a real table in the PDF).
* :class:`Markdown` carries ``text/markdown`` only (headings, notes).

Outputs are deterministic (no random element ids, no timestamps) so that
re-running a notebook on the same data gives the same file.
"""

from __future__ import annotations

import hashlib
import html
import io
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import matplotlib
import numpy as np
import pandas as pd
import plotly.io as pio

from analysis.charts import Chart

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

SVG_RC: dict[RcKeyType, Any] = {"svg.fonttype": "none", "svg.hashsalt": "factor-report"}
"""How static figures are written: text as ``<text>`` in the charts' font, not rasterized
glyphs (a ticker's 13 figures draw in 1.06 s instead of 1.33 s as 150-dpi PNGs, take 490
instead of 710 KiB, and print sharp); element ids from a fixed salt, so that the same figure
is the same bytes on every run."""
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|^~$#])")


def md_escape(text: object) -> str:
    """Backslash-escape Markdown punctuation in text that comes from params or data."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


class Markdown:
    """Markdown text (headings, notes); already-escaped where it embeds data."""

    def __init__(self, text: str) -> None:
        self.text = text

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/markdown": self.text, "text/plain": self.text}


Formatter = Callable[[Any], str]


def fmt_num(digits: int = 4) -> Formatter:
    """Fixed-point formatter; NaN as an em dash."""
    return lambda v: "—" if pd.isna(v) else f"{v:,.{digits}f}"


def fmt_sig(digits: int = 4) -> Formatter:
    """Significant digits, never an exponent (a beta of -0.0000412 stays readable); NaN as —."""

    def fmt(v: Any) -> str:
        if pd.isna(v):
            return "—"
        return np.format_float_positional(
            float(v), precision=digits, unique=False, fractional=False, trim="-"
        )

    return fmt


def fmt_pct(digits: int = 2) -> Formatter:
    return lambda v: "—" if pd.isna(v) else f"{v:.{digits}%}"


def fmt_p(v: Any) -> str:
    """p-values: four decimals, or ``<0.0001``."""
    if pd.isna(v):
        return "—"
    return "<0.0001" if v < 1e-4 else f"{v:.4f}"


class Table:
    """A table for both renditions.

    Parameters
    ----------
    frame
        The data; its index is ignored (put labels in a column).
    caption
        Short caption shown above the table (escaped).
    formats
        ``{column: formatter}``; other numeric columns use :func:`fmt_num`.
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        *,
        caption: str = "",
        formats: Mapping[str, Formatter] | None = None,
    ) -> None:
        self.frame = frame.reset_index(drop=True)
        self.caption = caption
        self.formats = dict(formats or {})

    def _cells(self) -> pd.DataFrame:
        out = {}
        for col in self.frame.columns:
            s = self.frame[col]
            if col in self.formats:
                out[col] = s.map(self.formats[col])
            elif pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
                out[col] = s.map(fmt_num())
            else:
                out[col] = s.map(lambda v: "—" if v is None or v is pd.NA else str(v))
        return pd.DataFrame(out, columns=self.frame.columns)

    def _numeric(self, col: str) -> bool:
        s = self.frame[col]
        return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)

    def to_html(self) -> str:
        cells = self._cells()
        head = "".join(
            f'<th class="{"num" if self._numeric(c) else "txt"}">{html.escape(str(c))}</th>'
            for c in cells.columns
        )
        rows = []
        for _, row in cells.iterrows():
            tds = "".join(
                f'<td class="{"num" if self._numeric(c) else "txt"}">{html.escape(v)}</td>'
                for c, v in row.items()
            )
            rows.append(f"<tr>{tds}</tr>")
        cap = f"<caption>{html.escape(self.caption)}</caption>" if self.caption else ""
        return (
            f'<table class="report-table">{cap}<thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>"
        )

    def to_markdown(self) -> str:
        """A pandoc *simple table* (and its ``: caption``) for the PDF.

        Not a pipe table: pandoc gives a pipe table with a line longer than its
        ``--columns`` (72 in Quarto) equal relative column widths, which squeezes
        and hyphenates the words of wide tables. A simple table's columns are
        sized to their content. Each column's dashes reach one character past its
        header on the side opposite the alignment, which pandoc reads as the
        alignment (numbers right, text left).
        """
        cells = self._cells()
        cols = list(cells.columns)
        head = [md_escape(c) for c in cols]
        body = [[md_escape(v).replace("\n", " ") for v in row] for row in cells.to_numpy()]
        right = [self._numeric(c) for c in cols]
        widths = [max([len(h) + 1, *(len(row[j]) for row in body)]) for j, h in enumerate(head)]

        def line(values: list[str]) -> str:
            parts = [
                v.rjust(w) if r else v.ljust(w)
                for v, w, r in zip(values, widths, right, strict=True)
            ]
            return "  ".join(parts).rstrip()

        rows = [line(head), "  ".join("-" * w for w in widths), *(line(r) for r in body)]
        cap = f"\n\n: {md_escape(self.caption)}" if self.caption else ""
        return "\n".join(rows) + cap + "\n"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {
            "text/html": self.to_html(),
            "text/markdown": self.to_markdown(),
            "text/plain": self._cells().to_string(index=False),
        }


class Figure:
    """A :class:`~analysis.charts.Chart` as an interactive div and an SVG.

    The chart's caption is not part of the figure output: show it with
    :func:`figure_with_caption`, so both renditions print it once, as text.
    """

    def __init__(self, chart: Chart, *, key: str = "") -> None:
        self.chart = chart
        self.key = key

    def _div_id(self) -> str:
        # unique within a page (one chart of each kind per ticker and model, and the
        # key names them) and the same on every run: no random uuid in the notebook
        digest = hashlib.sha256(f"{self.key}/{self.chart.name}/{self.chart.title}".encode())
        return f"fig-{self.chart.name}-{digest.hexdigest()[:12]}"

    def svg(self) -> str:
        """The static figure as SVG text (see :data:`SVG_RC`)."""
        buf = io.BytesIO()
        # the charts use constrained layout, which already fits every label inside the
        # figure; bbox_inches="tight" would draw each figure a second time to measure it
        with matplotlib.rc_context(SVG_RC):
            self.chart.static.savefig(buf, format="svg", metadata={"Date": None})
        return buf.getvalue().decode("utf-8")

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        div = pio.to_html(
            self.chart.plotly,
            full_html=False,
            include_plotlyjs=False,
            config=PLOTLY_CONFIG,
            div_id=self._div_id(),
        )
        data = {
            "text/html": f'<div class="report-figure">{div}</div>',
            "image/svg+xml": self.svg(),
            "text/plain": f"<Figure: {self.chart.title}>",
        }
        meta = {"image/svg+xml": {"alt": self.chart.title}}
        return data, meta


def figure_with_caption(chart: Chart | None, *, key: str = "") -> list[Figure | Markdown]:
    """The figure followed by its caption in italics (nothing for ``None``)."""
    if chart is None:
        return []
    out: list[Figure | Markdown] = [Figure(chart, key=key)]
    if chart.caption:
        out.append(Markdown(f"*{md_escape(chart.caption)}*"))
    return out


def figure_html(chart: Chart, key: str) -> str:
    """The interactive HTML of a chart (for pages built outside notebooks: the index)."""
    bundle, _ = Figure(chart, key=key)._repr_mimebundle_()
    return str(bundle["text/html"])


@dataclass(frozen=True)
class Cell:
    """A table cell: display text and the raw value used for sorting."""

    text: str
    raw: str

    @classmethod
    def num(cls, v: Any, fmt: str) -> Cell:
        """``fmt`` is a format spec, or ``"sig3"``: three significant digits, never exponents."""
        if v is None or (isinstance(v, float) and math.isnan(v)) or pd.isna(v):
            return cls("—", "")
        if fmt == "sig3":
            text = np.format_float_positional(
                float(v), precision=3, unique=False, fractional=False, trim="-"
            )
        else:
            text = format(v, fmt)
        return cls(text, repr(float(v)))
