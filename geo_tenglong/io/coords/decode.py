"""Bytes of a 界址点坐标交换格式 file to text: size limit, encodings (UTF-8 with or without BOM,
UTF-16 with or without BOM, GBK), line ends and full-width punctuation.

Full-width *digits* are not translated: a number written ``１２`` is refused by the parser (with
its line), like any number that only Python would read (``1_000``, ``١٢``).
"""

from __future__ import annotations

import re
from pathlib import Path

from ...errors import InputError
from .model import DEFAULT_MAX_BYTES

__all__ = ["decode_coords_bytes", "read_coords_bytes"]

# full-width and look-alike punctuation -> ASCII (digits deliberately left alone)
_FULLWIDTH = {ord("．"): ".", ord("。"): ".", ord("＝"): "=", ord("［"): "[", ord("］"): "]",
              ord("【"): "[", ord("】"): "]", ord("＠"): "@", ord("－"): "-", ord("＋"): "+", ord("："): ":",
              ord("\u3000"): " ", ord("\ufeff"): "", ord("\t"): " "}
_FULLWIDTH_RE = re.compile("[" + re.escape("".join(chr(c) for c in _FULLWIDTH)) + "]")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def read_coords_bytes(path: str | Path, max_bytes: int | None = DEFAULT_MAX_BYTES) -> bytes:
    """The bytes of a coordinate file, refusing files over ``max_bytes``.

    Parameters
    ----------
    path : str or Path
        The file.
    max_bytes : int or None
        Largest size read (default 20 MB, :data:`~.model.DEFAULT_MAX_BYTES`); ``None`` for no limit.

    Returns
    -------
    bytes

    Raises
    ------
    InputError
        When the file cannot be read or is larger than ``max_bytes``.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            raise InputError(f"the file is {size / 1048576:.1f} MB, over the {max_bytes / 1048576:g} MB limit for "
                             "a coordinate file (raise it with max_bytes / --max-mb if the file is genuine)",
                             path, "line 1")
        with path.open("rb") as fh:
            data = fh.read() if max_bytes is None else fh.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", path) from None
    if max_bytes is not None and len(data) > max_bytes:      # grew while we looked
        raise InputError(f"the file is over the {max_bytes / 1048576:g} MB limit for a coordinate file", path,
                         "line 1")
    return data


def decode_coords_bytes(data: bytes, path: str | Path | None = None) -> tuple[str, str]:
    """Decode a coordinate file's bytes: UTF-8 (with or without BOM), UTF-16 (BOM or not) or GBK.

    Parameters
    ----------
    data : bytes
        The file's content.
    path : str or Path, optional
        For error messages.

    Returns
    -------
    (str, str)
        The text, with full-width punctuation made ASCII and every line ending (CRLF, LF, a lone CR)
        made ``\\n``; and the name of the encoding used.

    Raises
    ------
    InputError
        For an empty file, a binary file or bytes that are neither UTF-8 nor GBK.
    """
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise InputError("the file is empty; expected a 界址点坐标交换格式 text starting with [属性描述]", path, "line 1")
    if data.startswith(b"\xef\xbb\xbf"):
        text, enc = _decode(data[3:], "utf-8", path), "utf-8-sig"
    elif data.startswith(b"\xff\xfe"):
        text, enc = _decode(data[2:], "utf-16-le", path), "utf-16-le"
    elif data.startswith(b"\xfe\xff"):
        text, enc = _decode(data[2:], "utf-16-be", path), "utf-16-be"
    elif _utf16_without_bom(data) == "le":
        text, enc = _decode(data, "utf-16-le", path), "utf-16-le"
    elif _utf16_without_bom(data) == "be":
        text, enc = _decode(data, "utf-16-be", path), "utf-16-be"
    else:
        if b"\x00" in data:
            line = data[: data.index(b"\x00")].count(b"\n") + 1
            raise InputError("binary data (NUL bytes): not a 界址点坐标交换格式 text file", path, f"line {line}")
        try:
            text, enc = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text, enc = _decode(data, "gb18030", path), "gbk"
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _FULLWIDTH_RE.search(text):      # translate() is slow; most files need none
        text = text.translate(_FULLWIDTH)
    if "，" in text:                     # a separator only on lines without ASCII commas
        text = "\n".join(ln.replace("，", ",") if "," not in ln else ln for ln in text.split("\n"))
    bad = _CONTROL_RE.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        raise InputError(f"control character {bad.group()!r}: not a text file", path, f"line {line}")
    return text, enc


def _utf16_without_bom(data: bytes) -> str | None:
    """'le' or 'be' when the bytes look like UTF-16 without a BOM: ASCII characters ([, =, digits,
    commas, line ends) leave NUL bytes on one side only."""
    sample = data[:512]
    if len(sample) < 8 or len(data) % 2:
        return None
    odd, even = sample[1::2].count(0), sample[0::2].count(0)
    if odd >= 4 and even * 8 < odd:      # a CJK character may have a zero low byte (U+4E00 一)
        return "le"
    if even >= 4 and odd * 8 < even:
        return "be"
    return None


def _decode(data: bytes, encoding: str, path) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].decode(encoding, errors="replace").count("\n") + 1
        raise InputError(f"cannot decode byte {exc.start} as UTF-8, UTF-16 or GBK: not a text file",
                         path, f"line {line}") from None
