"""Load instrument definitions into the database (used by a migration and a command)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .definitions import FOLDER
from .engine import DefinitionError, parse_definition


def load_shipped(instrument_model: Any, folder: Path = FOLDER) -> list[str]:
    """Validate every definition file first (a bad one stops the load, naming the file and
    the problem, before anything is written); then create missing instruments (enabled as
    their definition says) and update changed definitions, keeping each on/off switch."""
    parsed_files = []
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            parsed = parse_definition(data)
        except json.JSONDecodeError as exc:
            raise DefinitionError(f"{path.name}: not valid JSON ({exc})") from None
        except DefinitionError as exc:
            raise DefinitionError(f"{path.name}: {exc}") from None
        parsed_files.append((data, parsed))
    changes = []
    for data, parsed in parsed_files:
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
