"""Local GBFS files -> the zip bundle a pushed (not polled) GBFS feed version keeps."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path


def gbfs_bundle_from_path(path: Path) -> bytes:
    """Zip the GBFS files at `path`: a folder of *.json files, or a gbfs.json whose
    sibling *.json files are the feed (its own URLs may point elsewhere, e.g. `file:`
    URLs of the machine that wrote it). Any other single JSON file is bundled alone."""
    if path.is_dir():
        files = sorted(path.glob("*.json"))
    elif path.name == "gbfs.json":
        files = sorted(path.parent.glob("*.json"))
    else:
        files = [path]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for file in files:
            bundle.write(file, arcname=file.name)
    return buffer.getvalue()
