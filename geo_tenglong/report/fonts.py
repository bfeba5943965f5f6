"""The Chinese font of the charts and the printed reports, shipped as a pip dependency.

A fresh machine often has no CJK font at all (Debian without ``fonts-noto-cjk``, a slim
container): matplotlib then draws every Chinese character as a box and Chromium prints boxes into
the PDFs. So the package depends on ``pylopdf-fonts-zh-cn``, a data-only wheel holding Noto Sans SC
(``NotoSansSC-Regular.otf``, the Simplified Chinese subset of Noto Sans CJK, SIL OFL 1.1, taken
unchanged from notofonts/noto-cjk at a pinned revision with its SHA-256 published), and:

- :func:`cjk_font` registers it with matplotlib's font manager (``addfont``) — no fontconfig,
  no font cache rebuild — and falls back to an installed CJK font only when the wheel is missing;
- :func:`font_face_css` gives the ``@font-face`` rule that the report and one-pager HTML carry, so
  headless Chromium embeds the same font in the PDFs (the ``file://`` URL is the installed font;
  a machine that has Noto Sans CJK SC installed uses that, with its real bold, first).
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["BUNDLED_FAMILY", "bundled_font", "cjk_font", "font_face_css", "no_cjk_font_message"]

#: The family name the bundled font is registered and referenced under.
BUNDLED_FAMILY = "Noto Sans SC"

#: Installed CJK fonts tried when the bundled one is missing (most to least preferred).
_SYSTEM_NAMES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Noto Sans CJK JP", "WenQuanYi Zen Hei",
                 "WenQuanYi Micro Hei", "Droid Sans Fallback", "SimHei", "Microsoft YaHei", "PingFang SC")


def no_cjk_font_message() -> str:
    """The one line printed when no Chinese font can be found at all."""
    return ("geo-tenglong: 警告: 未找到中文字体, 图表中的中文将显示为方框; 请重新安装本软件 "
            "(pip install geo-tenglong 会安装 pylopdf-fonts-zh-cn 中的 Noto Sans SC) 或安装 fonts-noto-cjk")


def bundled_font() -> Path | None:
    """The Noto Sans SC file of the ``pylopdf-fonts-zh-cn`` package, or ``None`` if it is not installed.

    Returns
    -------
    Path or None
    """
    try:
        import pylopdf_fonts_zh_cn
    except ImportError:
        return None
    path = Path(pylopdf_fonts_zh_cn.sans_path())
    return path if path.is_file() else None


@functools.lru_cache(maxsize=1)
def cjk_font() -> tuple[str, str] | None:
    """Register a font with Chinese glyphs with matplotlib and name it.

    The bundled Noto Sans SC first; without it, an installed CJK font known to matplotlib or to
    fontconfig (``fc-list :lang=zh``).

    Returns
    -------
    tuple of (family name, font file) or None
        ``None`` when no CJK font is available (one warning line is printed, once).
    """
    from matplotlib import font_manager

    path = bundled_font()
    if path is not None:
        try:
            font_manager.fontManager.addfont(str(path))
            return font_manager.FontProperties(fname=str(path)).get_name(), str(path)
        except (RuntimeError, ValueError, OSError):
            pass
    names = {f.name for f in font_manager.fontManager.ttflist}
    for name in _SYSTEM_NAMES:
        if name in names:
            found = font_manager.findfont(font_manager.FontProperties(family=name, weight="normal"),
                                          fallback_to_default=False)
            return name, found
    found_fc = _fontconfig_cjk()
    if found_fc is not None:
        return found_fc
    if not os.environ.get("GEO_TENGLONG_QUIET"):
        print(no_cjk_font_message(), file=sys.stderr)
    return None


def _fontconfig_cjk() -> tuple[str, str] | None:
    """A CJK font fontconfig knows but matplotlib's cache does not (registered on the way)."""
    from matplotlib import font_manager

    if not shutil.which("fc-list"):
        return None
    try:
        out = subprocess.run(["fc-list", ":lang=zh", "file", "family"], check=False, capture_output=True, text=True,
                             timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    files = []
    for line in out.splitlines():
        path, _, fam = line.partition(":")
        files.append((path.strip(), fam.strip()))
    files.sort(key=lambda pf: (("Sans" not in pf[1]), ("CJK" not in pf[1]), pf[0]))
    for path, _fam in files:
        if Path(path).suffix.lower() in (".ttf", ".otf", ".ttc") and Path(path).is_file():
            try:
                font_manager.fontManager.addfont(path)
                return font_manager.FontProperties(fname=path).get_name(), path
            except (RuntimeError, ValueError, OSError):
                continue
    return None


@functools.lru_cache(maxsize=1)
def font_face_css() -> str:
    """The ``@font-face`` rule naming the bundled font as ``"Noto Sans SC"`` for the report HTML.

    ``src`` tries the installed Noto Sans CJK SC / Noto Sans SC first (``local()``), then the
    bundled file by its ``file://`` URL, which headless Chromium loads when printing the PDFs.
    Empty when the bundled font is not installed (the CSS's font list then relies on the system).

    Returns
    -------
    str
    """
    path = bundled_font()
    if path is None:
        return ""
    url = path.resolve().as_uri().replace('"', "%22")
    return (f'@font-face {{ font-family: "{BUNDLED_FAMILY}"; font-style: normal; '
            f'src: local("Noto Sans CJK SC"), local("NotoSansCJKsc-Regular"), local("Noto Sans SC"), '
            f'url("{url}") format("opentype"); }}\n')
