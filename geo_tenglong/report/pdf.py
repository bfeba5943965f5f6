"""HTML → PDF with headless Chromium (``--print-to-pdf``), and splitting an atlas into per-parcel PDFs.

Why Chromium: the reports are HTML with print CSS (A4 pages, ``page-break``); the PDF is exactly
that HTML as a browser prints it, CJK text is set through fontconfig (Noto Sans CJK) and embedded,
and the Debian ``chromium`` package is already what the web-map browser tests drive. The printed
chunks are joined, and an atlas is cut along its outline, with ``pikepdf`` (qpdf): pypdf, pure
Python, took 5 of the sample's 10 PDF CPU seconds to join five 100-page chunks and read the outline.

Chromium is optional at runtime: when it is not found, :func:`html_to_pdf` returns ``None`` and
prints one warning line, and callers write HTML only. Set ``GEO_TENGLONG_CHROMIUM`` to the browser
executable to choose one; set it to ``none`` to skip PDFs on purpose.

One Chromium process prints a whole atlas (every flagged parcel, a page each, with a PDF outline
entry per parcel from its ``<h1>``), which :func:`split_by_outline` cuts into one PDF per parcel:
starting the browser once per parcel would cost 1–3 s each.
"""

from __future__ import annotations

import concurrent.futures
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ..io.atomic import atomic_path

__all__ = ["PDF_ENV", "QUIET_ENV", "find_chromium", "html_to_pdf", "outline_starts", "pdf_fonts", "print_atlas",
           "split_by_outline"]

#: Environment variable naming the Chromium/Chrome executable ("none" disables PDFs).
PDF_ENV = "GEO_TENGLONG_CHROMIUM"
_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
#: Set (to anything) by ``--quiet``: no warning lines at all.
QUIET_ENV = "GEO_TENGLONG_QUIET"
_OFF = ("none", "off", "0", "false", "no")
_warned: set[str] = set()
_NO_CHROMIUM = (f"未找到 Chromium/Chrome, 跳过 PDF, 只写出 HTML (no Chromium found: PDFs skipped; install Debian "
                f"'chromium' or set {PDF_ENV})")


def _warn(msg: str, prefix: str = "警告 (warning): ") -> None:
    if msg not in _warned and not os.environ.get(QUIET_ENV):
        _warned.add(msg)
        print(f"geo-tenglong: {prefix}{msg}", file=sys.stderr)


def _warn_no_chromium() -> None:
    """The one line saying why no PDF is made: skipped on purpose, a bad path, or no browser."""
    env = os.environ.get(PDF_ENV, "").strip()
    if env.lower() in _OFF:
        _warn(f"PDF skipped ({PDF_ENV}={env}): 按设置跳过 PDF, 只写出 HTML", prefix="")
    elif env:
        _warn(f"{PDF_ENV}={env} 不是可执行的浏览器, 跳过 PDF, 只写出 HTML (PDFs skipped)")
    else:
        _warn(_NO_CHROMIUM)


def find_chromium() -> str | None:
    """The Chromium/Chrome executable to print with, or ``None``.

    Looks at ``$GEO_TENGLONG_CHROMIUM`` first, then ``chromium``, ``chromium-browser``,
    ``google-chrome`` … on ``PATH``.
    """
    env = os.environ.get(PDF_ENV, "").strip()
    if env:
        if env.lower() in _OFF:
            return None
        return env if (Path(env).is_file() or shutil.which(env)) else None
    for name in _CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


def html_to_pdf(html_path: str | Path, pdf_path: str | Path, timeout: float = 600.0) -> Path | None:
    """Print an HTML file to PDF with headless Chromium, atomically.

    Parameters
    ----------
    html_path : str or Path
        A local HTML file (self-contained: images as data URIs, no network needed).
    pdf_path : str or Path
        The PDF to write; replaced only when printing succeeded.
    timeout : float
        Seconds before the browser is stopped.

    Returns
    -------
    Path or None
        ``pdf_path``, or ``None`` when no browser was found or printing failed (a warning line
        says why; the HTML is still there).
    """
    exe = find_chromium()
    if exe is None:
        _warn_no_chromium()
        return None
    html_path = Path(html_path).resolve()
    pdf_path = Path(pdf_path)
    try:
        with tempfile.TemporaryDirectory(prefix="geo-tenglong-chromium-") as profile, atomic_path(pdf_path) as tmp:
            _print(exe, html_path, tmp, profile, timeout)
    except _Skip as exc:
        _warn(f"{exc}: {pdf_path.name} 未生成 (PDF not written)")
        return None
    return pdf_path


class _Skip(Exception):
    """Printing failed; raised inside ``atomic_path`` so the target stays untouched."""


def _print(exe: str, html_path: Path, tmp: Path, profile: str, timeout: float) -> None:
    cmd = [exe, "--headless", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
           "--disable-extensions", "--disable-background-networking", "--disable-sync", "--mute-audio",
           "--hide-scrollbars", f"--user-data-dir={profile}", "--no-pdf-header-footer",
           "--generate-pdf-document-outline", f"--print-to-pdf={tmp}", html_path.as_uri(),
           # Virtual time runs only while nothing is loading: the print waits for the bundled web font
           # (without it a loaded machine printed pages whose Chinese text was missing altogether).
           "--virtual-time-budget=30000"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
    try:
        proc = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, "HOME": profile})
    except subprocess.TimeoutExpired:
        raise _Skip(f"Chromium 打印 PDF 超时 ({timeout:.0f} 秒)") from None
    except OSError as exc:
        raise _Skip(f"无法启动 Chromium ({exc})") from None
    if proc.returncode != 0 or not tmp.is_file() or tmp.stat().st_size == 0:
        tail = (proc.stderr or "").strip().splitlines()[-1:] or [""]
        raise _Skip(f"Chromium 打印 PDF 失败 (exit {proc.returncode}; {tail[0][:200]})")


def print_atlas(html_chunks, pdf_path: str | Path, workdir: str | Path, timeout: float = 600.0) -> Path | None:
    """Print an atlas given as several HTML documents, then join them into one PDF with outline.

    Chromium's time grows faster than linearly with one huge document (1,400 report pages did
    not finish in 10 minutes), so the atlas is printed in chunks of ~100 pages and the chunks are
    joined with pikepdf, keeping every chunk's outline.

    Parameters
    ----------
    html_chunks : iterable of str
        Self-contained HTML documents, in page order.
    pdf_path : str or Path
        The atlas to write (atomically).
    workdir : str or Path
        A scratch folder for the chunk files.
    timeout : float
        Seconds allowed per chunk.

    Returns
    -------
    Path or None
        ``pdf_path``, or ``None`` when Chromium is missing or a chunk failed (with a warning).
    """
    workdir = Path(workdir)
    if find_chromium() is None:
        _warn_no_chromium()
        return None
    jobs = []
    for k, html in enumerate(html_chunks):
        src = workdir / f"atlas-{k:04d}.html"
        src.write_text(html, encoding="utf-8")
        jobs.append((src, workdir / f"atlas-{k:04d}.pdf"))
    if not jobs:
        return None
    # two browsers at a time: each is mostly single-threaded while it lays out and prints
    workers = max(1, min(2, os.cpu_count() or 1, len(jobs)))
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        done = list(pool.map(lambda job: html_to_pdf(job[0], job[1], timeout), jobs))
    if any(d is None for d in done):
        return None
    parts = [out for _src, out in jobs]
    if len(parts) == 1:
        with atomic_path(pdf_path) as tmp:
            shutil.copyfile(parts[0], tmp)
        return Path(pdf_path)
    import pikepdf

    atlas = pikepdf.Pdf.new()
    sources, outline = [], []
    for part in parts:
        chunk = pikepdf.open(part)
        sources.append(chunk)
        outline.extend(_outline_of(chunk, len(atlas.pages)))
        atlas.pages.extend(chunk.pages)
    with atlas.open_outline() as ol:
        ol.root.extend(outline)
    with atomic_path(pdf_path) as tmp:
        atlas.save(tmp)
    for chunk in sources:
        chunk.close()
    return Path(pdf_path)


def _outline_of(pdf, offset: int = 0) -> list:
    """The outline of ``pdf`` as new ``pikepdf.OutlineItem`` trees, their pages shifted by ``offset``."""
    import pikepdf

    index = {page.objgen: k for k, page in enumerate(pdf.pages)}

    def copy(item):
        dest = item.destination
        page = index.get(dest[0].objgen) if isinstance(dest, pikepdf.Array) and len(dest) else None
        new = pikepdf.OutlineItem(str(item.title), None if page is None else page + offset)
        new.children.extend(copy(child) for child in item.children)
        return new

    with pdf.open_outline() as ol:
        return [copy(item) for item in ol.root]


def split_by_outline(atlas: str | Path, targets: list[Path]) -> list[Path]:
    """Cut an atlas PDF into one PDF per top-level outline entry (one per parcel ``<h1>``).

    Parameters
    ----------
    atlas : str or Path
        A PDF printed by :func:`html_to_pdf` whose document outline has one top-level entry per
        report, in page order.
    targets : list of Path
        One output path per report, in the same order.

    Returns
    -------
    list of Path
        The PDFs written; empty (with a warning) when the outline does not match ``targets``.
    """
    import pikepdf

    with pikepdf.open(atlas) as src:
        starts = _starts(src)
        if len(starts) != len(targets) or starts != sorted(starts):
            _warn(f"图集目录与宗地数不符 ({len(starts)} ≠ {len(targets)}), 未拆分单宗 PDF")
            return []
        ends = starts[1:] + [len(src.pages)]
        written = []
        for target, a, b in zip(targets, starts, ends):
            part = pikepdf.Pdf.new()
            part.pages.extend(src.pages[a:max(b, a + 1)])
            with atomic_path(target) as tmp:
                part.save(tmp)
            written.append(Path(target))
    return written


def outline_starts(pdf: str | Path) -> list[int]:
    """0-based first page of each top-level outline entry (one per report ``<h1>``) of a PDF.

    Parameters
    ----------
    pdf : str or Path
    """
    import pikepdf

    with pikepdf.open(pdf) as src:
        return _starts(src)


def _starts(src) -> list[int]:
    index = {page.objgen: k for k, page in enumerate(src.pages)}
    with src.open_outline() as ol:
        dests = [item.destination for item in ol.root]
    return [index[d[0].objgen] for d in dests if d is not None and len(d) and d[0].objgen in index]


def pdf_fonts(path: str | Path) -> set[str]:
    """Names of the fonts a PDF embeds (``BaseFont`` or, for Type 3 fonts, the descriptor's ``FontName``)."""
    import pikepdf

    names: set[str] = set()
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            fonts = page.resources.get("/Font")
            if fonts is None:
                continue
            for _key, font in fonts.items():
                descendants = list(font.get("/DescendantFonts", []))
                for f in [font, *descendants]:
                    if "/BaseFont" in f:
                        names.add(str(f["/BaseFont"]).lstrip("/"))
                desc = font.get("/FontDescriptor")
                if desc is not None and "/FontName" in desc:
                    names.add(str(desc["/FontName"]).lstrip("/"))
    return names
