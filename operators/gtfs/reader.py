"""Open an uploaded feed zip safely and read its files as text tables.

Nothing is extracted to disk: members are read into memory after the zip directory has
been checked (zip bomb, unsafe names), and each read is capped at the declared size so a
lying directory cannot inflate past the limits either.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from dataclasses import dataclass, field
from typing import IO

import numpy as np
import pandas as pd
from django.conf import settings

from operators.validation import FeedRejected, IssueCollector

# Members smaller than this are not ratio-checked: tiny files compress absurdly well.
_RATIO_CHECK_MIN_BYTES = 1024 * 1024
_IGNORED_PREFIXES = ("__MACOSX/",)


@dataclass
class FeedArchive:
    """The feed's files by base name (e.g. "stops.txt"), as raw bytes."""

    files: dict[str, bytes] = field(default_factory=dict)
    nested_folder: str = ""


def _is_unsafe(name: str) -> bool:
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return True
    parts = name.replace("\\", "/").split("/")
    return ".." in parts


def archive_open(fileobj: IO[bytes], *, issues: IssueCollector) -> FeedArchive:
    """Check and read the zip. Raises FeedRejected (with the issue collected) for what
    makes the rest pointless: not a zip, a zip bomb, unsafe member names."""
    try:
        zf = zipfile.ZipFile(fileobj)
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        issues.error("not_a_zip", f"The upload is not a readable zip archive ({exc}).")
        raise FeedRejected() from exc

    unsafe = [i.filename for i in infos if _is_unsafe(i.filename)]
    for name in unsafe:
        issues.error(
            "unsafe_path_in_zip",
            f"The archive member {name!r} has an absolute path or a '..' component; "
            "such archives are refused.",
            file=name,
        )
    if unsafe:
        raise FeedRejected()

    max_total = settings.FEED_ZIP_MAX_UNCOMPRESSED_BYTES
    max_ratio = settings.FEED_ZIP_MAX_RATIO
    if len(infos) > settings.FEED_ZIP_MAX_MEMBERS:
        issues.error(
            "zip_bomb",
            f"The archive has {len(infos)} members; at most "
            f"{settings.FEED_ZIP_MAX_MEMBERS} are accepted.",
        )
        raise FeedRejected()
    total = sum(i.file_size for i in infos)
    if total > max_total:
        issues.error(
            "zip_bomb",
            f"The archive unpacks to {total} bytes; the limit is {max_total} bytes.",
        )
        raise FeedRejected()
    for info in infos:
        if info.file_size >= _RATIO_CHECK_MIN_BYTES:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > max_ratio:
                issues.error(
                    "zip_bomb",
                    f"{info.filename} expands {ratio:.0f} times ({info.file_size} bytes); "
                    f"the limit is {max_ratio} times.",
                    file=info.filename,
                )
                raise FeedRejected()

    members = [
        i
        for i in infos
        if not i.is_dir()
        and not i.filename.startswith(_IGNORED_PREFIXES)
        and not posixpath.basename(i.filename).startswith(".")
    ]
    at_root = [i for i in members if "/" not in i.filename]
    archive = FeedArchive()
    chosen = at_root
    if not any(i.filename.endswith((".txt", ".geojson")) for i in at_root):
        folders = {i.filename.split("/", 1)[0] for i in members if "/" in i.filename}
        if len(folders) == 1:
            folder = folders.pop()
            chosen = [i for i in members if posixpath.dirname(i.filename) == folder]
            archive.nested_folder = folder
            issues.warning(
                "nested_folder",
                f"The feed files are inside the folder {folder!r} instead of at the root of "
                "the zip; they were read from there.",
            )
    for info in chosen:
        name = posixpath.basename(info.filename)
        try:
            with zf.open(info) as fh:
                data = fh.read(info.file_size + 1)
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
            issues.error("corrupt_zip_member", f"{name} cannot be read: {exc}.", file=name)
            continue
        if len(data) > info.file_size:
            issues.error("zip_bomb", f"{name} is larger than the archive declares.", file=name)
            raise FeedRejected()
        archive.files[name] = data
    return archive


def text_decode(data: bytes, *, file: str, issues: IssueCollector) -> str | None:
    """UTF-8 (with or without BOM); otherwise Shift_JIS/CP932, common in Japanese feeds,
    with a warning; otherwise an error and None."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        text = data.decode("cp932")
    except UnicodeDecodeError:
        issues.error(
            "undecodable_text",
            f"{file} is neither UTF-8 nor Shift_JIS/CP932 text "
            f"(first bad byte at offset {utf8_error.start}).",
            file=file,
        )
        return None
    issues.warning(
        "non_utf8_encoding",
        f"{file} is Shift_JIS/CP932, not UTF-8 as GTFS requires; it was decoded as CP932.",
        file=file,
    )
    return text


def csv_read(text: str, *, file: str, issues: IssueCollector) -> pd.DataFrame | None:
    """Parse CSV text into a DataFrame of strings (every column str, blanks as "").
    Column names and values are stripped of surrounding white space."""
    if not text.strip():
        return None
    try:
        df = pd.read_csv(
            io.StringIO(text),
            dtype=object,
            keep_default_na=False,
            na_filter=False,
            skipinitialspace=True,
            skip_blank_lines=True,
        )
    except (pd.errors.ParserError, ValueError) as exc:
        issues.error("csv_parsing_failed", f"{file} is not valid CSV: {exc}", file=file)
        return None
    df.columns = [str(c).strip().strip('"').lower() for c in df.columns]
    for column in df.columns:
        values = np.asarray(df[column].to_numpy(dtype=object), dtype=str)
        stripped = np.strings.strip(values)
        # Rebuild the column only when some value had surrounding white space (rare).
        if np.any(np.strings.str_len(stripped) != np.strings.str_len(values)):
            df[column] = stripped.astype(object)
    return df
