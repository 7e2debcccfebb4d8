"""The text of a Word document as a reader sees it: paragraphs, then table rows as ``a | b | c``."""

from __future__ import annotations

from pathlib import Path


def document_text(path: Path) -> str:
    import docx

    d = docx.Document(str(path))
    parts = [p.text for p in d.paragraphs]
    for t in d.tables:
        for r in t.rows:
            parts.append(" | ".join(c.text for c in r.cells))
    return "\n".join(parts)
