"""Make text safe to publish: no absolute paths of the user's machine, no tracebacks.

Everything that ends up in a run's ``site/`` folder or PDFs goes through these
helpers: error messages are cut to one short line, absolute file-system paths
are reduced to file names, and user input files are named by file name and
content hash instead of where they live.
"""

from __future__ import annotations

import hashlib
import re
import textwrap
from pathlib import Path
from urllib.parse import quote

# Characters that end a path: whitespace, quotes, brackets and the usual
# separators of messages and reprs ("No such file: '/a/b.csv'", "[/a, /b]").
_STOP = r"""\s'"`<>()\[\]{},;|*?"""
_SEG = rf"[^{_STOP}/\\:]+"
_WIN_SEG = rf"[^{_STOP}/\\:]+"
# Not part of a longer token: a URL's host (``example.com/a``), a relative
# path (``a/b``, ``./a``, ``../a``), a scheme (``https://``) or another path.
_BEFORE = r"(?<![\w.:/\\~%-])"

_PATH = re.compile(
    "|".join(
        (
            # file:///abs/path (a URL of a local file is a path too)
            rf"file://(?P<url>(?:/{_SEG})+/?)",
            # POSIX, at least two components: /a/b, /tmp/run/prices.csv
            rf"{_BEFORE}(?P<posix>(?:/{_SEG}){{2,}}/?)",
            # home: ~/a, ~user/a/b
            rf"{_BEFORE}(?P<home>~[\w.-]*(?:/{_SEG})+/?)",
            # Windows: C:\a\b.txt, C:/a/b, C:\\a\\b (a repr)
            rf"(?<![\w.:/\\-])(?P<win>[A-Za-z]:(?:[\\/]+{_WIN_SEG})+[\\/]*)",
        )
    )
)
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _name(match: re.Match[str]) -> str:
    """The last component of the path that ``match`` found."""
    path = next(group for group in match.groups() if group is not None)
    return re.split(r"[\\/]+", path.rstrip("\\/"))[-1]


def public_text(text: str) -> str:
    """Replace every absolute file-system path in ``text`` by its file name.

    POSIX paths (``/a/b/c.ext``), home paths (``~/a/b``), Windows paths
    (``C:\\a\\b``) and ``file://`` URLs become ``c.ext``; web URLs
    (``https://host/a/b``) and relative paths (``a/b``, ``../a/b``) are kept.

    Parameters
    ----------
    text
        Any text, e.g. an error message.

    Returns
    -------
    str
        ``text`` with the paths shortened.

    Examples
    --------
    >>> public_text("No such file: '/home/me/data/prices.csv'")
    "No such file: 'prices.csv'"
    >>> public_text("see https://example.com/a/b and reports/AAPL.html")
    'see https://example.com/a/b and reports/AAPL.html'
    """
    return _PATH.sub(_name, text)


def short_reason(ename: str, evalue: str, limit: int = 120) -> str:
    """One public line for a failure: ``"<ename>: <evalue>"``, cut to ``limit`` characters.

    Parameters
    ----------
    ename
        Exception class name (a notebook error output's ``ename``).
    evalue
        Exception message (``evalue``); only its first line is kept.
    limit
        Maximum length of the result; longer text is cut at a word boundary
        and ends with ``"…"``.

    Returns
    -------
    str
        The reason, without absolute paths or terminal colour codes.
    """
    full = _ANSI.sub("", f"{ename}: {evalue}" if evalue else ename)
    lines = [line.strip() for line in full.splitlines() if line.strip()]
    line = public_text(lines[0]) if lines else ""
    if len(line) <= limit:
        return line
    cut = textwrap.shorten(line, width=limit, placeholder="…")
    if len(cut) < limit // 2:  # a long word: cut inside it
        cut = line[: limit - 1].rstrip() + "…"
    return cut


def notebook_href(slug: str, depth: int) -> str:
    """Relative link from a site page to the run's executed notebook of ``slug``.

    The run folder holds ``site/`` and ``notebooks/`` side by side, so a page
    ``depth`` folders below the site root (``index.html``: 0,
    ``reports/<slug>.html``: 1) reaches ``notebooks/<slug>.ipynb`` through
    ``depth + 1`` parent steps.

    Parameters
    ----------
    slug
        The unit's file-name form.
    depth
        How many folders below the site root the linking page is.

    Returns
    -------
    str
        A URL-quoted relative link, e.g. ``"../../notebooks/AAPL.ipynb"``.
    """
    if depth < 0:
        raise ValueError(f"depth must be >= 0, got {depth}")
    return "../" * (depth + 1) + "notebooks/" + quote(f"{slug}.ipynb")


def file_label(path: Path) -> str:
    """Public name of a user input file: ``"<name> (sha256 <first 12 hex>)"``.

    Parameters
    ----------
    path
        The file (its folder is not published).

    Returns
    -------
    str
        File name and the start of its content hash, or ``"<name> (missing)"``
        when the file does not exist.
    """
    path = Path(path)
    if not path.is_file():
        return f"{path.name} (missing)"
    with path.open("rb") as handle:
        digest = hashlib.file_digest(handle, "sha256").hexdigest()
    return f"{path.name} (sha256 {digest[:12]})"
