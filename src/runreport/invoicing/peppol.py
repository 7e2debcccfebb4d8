"""The Peppol BIS Billing 3.0 check every document passes before it is released.

The validator is an outside tool (``invoicing.peppol_validator``: a command taking XML paths that
exits 0 when no rule is broken, 1 when one is, as ``../shared/tools/peppol-validate/validate`` does),
run on the very files about to be released. Its rule files stay where they are published; the
project never copies them. Not configured: the release goes on and the log says it was not checked.
"""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

log = logging.getLogger(__name__)


class PeppolRejected(RuntimeError):
    """A document about to be released breaks a Peppol BIS Billing 3.0 rule, or cannot be checked."""


def validator(cfg) -> Path | None:  # noqa: ANN001
    setting = cfg.invoicing.peppol_validator.strip()
    if not setting:
        return None
    from runreport.config import PROJECT_ROOT

    path = Path(setting)
    return path if path.is_absolute() else (PROJECT_ROOT / path).resolve()


def check(cfg, paths: list[Path]) -> None:  # noqa: ANN001
    """Raise :class:`PeppolRejected` unless every file passes with no fatal finding."""
    xml = [p for p in paths if p.suffix == ".xml"]
    if not xml:
        return
    command = validator(cfg)
    if command is None:
        log.warning("Peppol-kontrollen är avstängd (invoicing.peppol_validator är tom): %d dokument släpps "
                    "okontrollerade / the Peppol check is off", len(xml))
        return
    if not command.exists():
        raise PeppolRejected(f"Peppol-valideraren finns inte på {command} (invoicing.peppol_validator): inget "
                             "släpps / the Peppol validator is missing; nothing released")
    proc = subprocess.run([str(command), "--no-warnings", *map(str, xml)], capture_output=True, text=True,
                          timeout=1800, check=False)
    if proc.returncode != 0:
        findings = [ln.strip() for ln in proc.stdout.splitlines() if "[fatal]" in ln or "[error]" in ln][:10]
        raise PeppolRejected(
            "Minst ett dokument bryter mot Peppol BIS Billing 3.0-reglerna; inget släpps och inget nummer "
            "används / a document breaks the Peppol rules; nothing released:\n"
            + ("\n".join(findings) or (proc.stdout + proc.stderr)[-2000:]))
    log.info("Peppol BIS Billing 3.0: %d dokument utan fel", len(xml))
