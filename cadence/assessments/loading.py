"""Load the shipped definitions into the database (used by a migration and a command)."""

from __future__ import annotations

import json
from typing import Any

from .definitions import FOLDER, shipped


def load_shipped(instrument_model: Any) -> list[str]:
    """Create missing instruments (enabled as their definition says) and update definitions
    whose version changed, keeping each instrument's enabled switch. Returns what changed."""
    changes = []
    for path in sorted(FOLDER.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        parsed = shipped()[data["code"]]
        row = instrument_model.objects.filter(code=parsed.code).first()
        if row is None:
            instrument_model.objects.create(
                code=parsed.code,
                name=parsed.name,
                version=parsed.version,
                licence=parsed.licence,
                definition=data,
                enabled=parsed.enabled_by_default,
            )
            changes.append(f"added {parsed.code} {parsed.version}")
        elif row.definition != data:
            row.name, row.version, row.licence, row.definition = (
                parsed.name,
                parsed.version,
                parsed.licence,
                data,
            )
            row.save(update_fields=["name", "version", "licence", "definition", "updated_at"])
            changes.append(f"updated {parsed.code} to {parsed.version}")
    return changes
