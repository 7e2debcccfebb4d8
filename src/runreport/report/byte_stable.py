"""The same document, the same bytes: a Word file is a zip whose entries carry the time they were
written; rewritten with one fixed timestamp (the report's date), two runs of the same year give
byte-identical files, so a re-run that changed nothing is seen to have changed nothing."""

from __future__ import annotations

import datetime as dt
import io
import zipfile


def fixed_zip(data: bytes, when: dt.datetime) -> bytes:
    """Rewrite the package with the same fixed timestamp on every entry."""
    stamp = (max(1980, when.year), when.month, when.day, 0, 0, 0)
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, stamp)
            zi.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(zi, src.read(info.filename))
    return out.getvalue()
