"""The instrument definitions shipped with Cadence (JSON files in ``instruments/``)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from .engine import DefinitionError, Instrument, parse_definition

FOLDER = Path(__file__).parent / "instruments"


@cache
def shipped() -> dict[str, Instrument]:
    """Every shipped definition, parsed and validated; a bad file stops loading with a reason."""
    instruments: dict[str, Instrument] = {}
    for path in sorted(FOLDER.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise DefinitionError(f"{path.name}: not valid JSON ({exc})") from None
        instrument = parse_definition(data)
        if instrument.code in instruments:
            raise DefinitionError(f"{path.name}: code {instrument.code} is used twice")
        instruments[instrument.code] = instrument
    return instruments
