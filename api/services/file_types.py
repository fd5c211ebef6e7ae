"""Does a file's content match its extension? Checked on the first bytes (magic numbers).

Binary types are recognised with the `filetype` library; text types (txt, csv, json) must be
UTF-8 text without NUL bytes and must not be markup a browser would render (HTML, SVG, XML), so
a `.png` that is really HTML, or a `.txt` that is a web page, is refused.
"""

import codecs
import json
import mimetypes
import re

import filetype

HEADER_BYTES = 8192
TEXT_TYPES = {"txt", "csv", "json"}
# Extensions that are one format under another name.
SAME_FORMAT = {"jpeg": "jpg", "tif": "tif", "tiff": "tif"}
# A zip container is a zip whatever it holds (docx, epub, jar, ...).
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
MARKUP = re.compile(rb"^\s*<(!doctype|html|head|body|script|svg|\?xml|iframe|meta|a\s)", re.I)
JSON_START = re.compile(rb"^\s*([\[{\"\-0-9]|true|false|null)")


def content_type_for(extension: str) -> str:
    return mimetypes.guess_type(f"x.{extension}")[0] or "application/octet-stream"


def mismatch(extension: str, header: bytes, *, whole: bool = False) -> str | None:
    """Why `header` (the file's first bytes) is not a `.extension` file, or None if it is.
    `whole`: the header is the entire file, so text is checked to its end (a `.json` parsed)."""
    extension = extension.lower()
    if extension in TEXT_TYPES:
        return _text_mismatch(extension, header, whole)
    if extension == "zip":
        return None if header.startswith(ZIP_MAGIC) else "the content is not a zip archive"
    expected = SAME_FORMAT.get(extension, extension)
    if filetype.get_type(ext=expected) is None:
        return None  # a type the library does not know (configured by the operator): unchecked
    guess = filetype.guess(header)
    if guess is None:
        return f"the content is not a {extension.upper()} file"
    if SAME_FORMAT.get(guess.extension, guess.extension) != expected:
        return f"the content is a {guess.extension.upper()} file, not {extension.upper()}"
    return None


def _text_mismatch(extension: str, header: bytes, whole: bool) -> str | None:
    # Text is judged as text: UTF-8 without NUL bytes. A format's magic number alone is no
    # reason to refuse it, since several are two or three printable letters ("BM", "MZ", "ID3")
    # that notes may well start with; it only names what a binary file really is.
    text = header.removeprefix(codecs.BOM_UTF8)
    binary = b"\x00" in header
    decoded = None if binary else _utf8(text, whole)
    if decoded is None:
        if (guess := filetype.guess(header)) is not None:
            return f"the content is a {guess.extension.upper()} file, not text"
        return "the content is binary, not text" if binary else "the content is not UTF-8 text"
    if MARKUP.match(text):
        return "the content is HTML or XML markup, not plain text"
    if extension == "json" and not _json_like(text, decoded if whole else None):
        return "the content is not JSON"
    return None


def _utf8(text: bytes, whole: bool) -> str | None:
    """`text` decoded, or None if it is not UTF-8 (a cut last character is fine unless whole)."""
    try:
        return codecs.getincrementaldecoder("utf-8")().decode(text, final=whole)
    except UnicodeDecodeError:
        return None


def _json_like(start: bytes, whole: str | None) -> bool:
    """A whole file must parse; of a longer one, only its start can be judged."""
    if whole is None:
        return not start.strip() or bool(JSON_START.match(start))
    try:
        json.loads(whole)
    except (ValueError, RecursionError):  # deep nesting: not a document we take either
        return False
    return True
