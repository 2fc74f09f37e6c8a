"""Instrument definitions as data, and scoring as a pure function. No Django here.

A definition (JSON in ``instruments/``) names its items, answer options, scores (sums of
items, with per-item reversal), bands on scores, alert rules and an optional triage level.
``parse_definition`` refuses a definition that does not hold together, saying where;
``score`` refuses missing or out-of-range answers, saying which, and never scores half a form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

OPERATORS = {
    "eq": lambda a, b: a == b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
}


class DefinitionError(ValueError):
    """The instrument definition is malformed; the message says where."""


class AnswerError(ValueError):
    """Answers are missing or out of range; ``problems`` maps item code to what is wrong."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        detail = "; ".join(f"item {code}: {why}" for code, why in problems.items())
        super().__init__(f"Answers need fixing: {detail}")


@dataclass(frozen=True)
class Option:
    value: int
    label: str


@dataclass(frozen=True)
class Recode:
    """Maps a raw number (e.g. days out of 30) to an item score."""

    low: int
    high: int
    score: int


@dataclass(frozen=True)
class Condition:
    op: str
    value: int
    item: str = ""
    score: str = ""

    def holds(self, item_values: Mapping[str, int | None], scores: Mapping[str, int]) -> bool:
        actual = item_values.get(self.item) if self.item else scores.get(self.score)
        return actual is not None and OPERATORS[self.op](actual, self.value)


@dataclass(frozen=True)
class Item:
    code: str
    text: str
    options: tuple[Option, ...] = ()
    number_range: tuple[int, int] | None = None  # for numeric answers such as days
    recode: tuple[Recode, ...] = ()
    reverse: bool = False
    required: bool = True
    scored: bool = True
    show_if: Condition | None = None

    def accepts(self, raw: int) -> bool:
        if self.options:
            return raw in {o.value for o in self.options}
        assert self.number_range is not None
        return self.number_range[0] <= raw <= self.number_range[1]

    def item_score(self, raw: int) -> int:
        if self.recode:
            return next(r.score for r in self.recode if r.low <= raw <= r.high)
        if self.reverse:
            values = [o.value for o in self.options]
            return max(values) + min(values) - raw
        return raw

    @property
    def max_score(self) -> int:
        if self.recode:
            return max(r.score for r in self.recode)
        if self.options:
            return max(o.value for o in self.options)
        assert self.number_range is not None
        return self.number_range[1]


@dataclass(frozen=True)
class ScoreRule:
    code: str
    label: str
    items: tuple[str, ...]


@dataclass(frozen=True)
class Band:
    score: str
    low: int
    high: int
    label: str
    flag: bool = False  # a band that needs clinical attention


@dataclass(frozen=True)
class AlertRule:
    """Fires when its condition holds, or when the triage level is one of ``when_triage``."""

    code: str
    when: Condition | None
    message: str
    severity: str = "high"
    when_triage: tuple[str, ...] = ()

    def fires(
        self, item_values: Mapping[str, int | None], scores: Mapping[str, int], triage: str | None
    ) -> bool:
        if self.when_triage:
            return triage in self.when_triage
        return self.when is not None and self.when.holds(item_values, scores)


@dataclass(frozen=True)
class TriageLevel:
    """Risk from the highest positive item: item code -> level, levels ordered low to high."""

    levels: tuple[str, ...]
    by_item: Mapping[str, str]


@dataclass(frozen=True)
class Instrument:
    code: str
    name: str
    version: str
    licence: str
    enabled_by_default: bool
    timeframe: str
    items: tuple[Item, ...]
    scores: tuple[ScoreRule, ...]
    bands: tuple[Band, ...] = ()
    alerts: tuple[AlertRule, ...] = ()
    triage: TriageLevel | None = None
    loinc: Mapping[str, str] = field(default_factory=dict)

    def item(self, code: str) -> Item:
        return next(i for i in self.items if i.code == code)

    def score_range(self, code: str) -> tuple[int, int]:
        rule = next(s for s in self.scores if s.code == code)
        return 0, sum(self.item(c).max_score for c in rule.items)


@dataclass(frozen=True)
class Result:
    item_scores: dict[str, int | None]
    scores: dict[str, int]
    bands: dict[str, Band]
    alerts: tuple[AlertRule, ...]
    triage: str | None

    @property
    def flagged(self) -> bool:
        return bool(self.alerts) or any(b.flag for b in self.bands.values())


def _condition(raw: Any, where: str, items: set[str], scores: set[str]) -> Condition:
    if not isinstance(raw, dict):
        raise DefinitionError(f"{where}: a condition is an object like {{'item': '9', 'gt': 0}}")
    ops = [k for k in raw if k in OPERATORS]
    if len(ops) != 1 or not isinstance(raw[ops[0]], int):
        raise DefinitionError(f"{where}: give exactly one of {sorted(OPERATORS)} with a number")
    item, score = str(raw.get("item", "")), str(raw.get("score", ""))
    if bool(item) == bool(score):
        raise DefinitionError(f"{where}: name either an item or a score")
    if item and item not in items:
        raise DefinitionError(f"{where}: unknown item {item!r}")
    if score and score not in scores:
        raise DefinitionError(f"{where}: unknown score {score!r}")
    return Condition(op=ops[0], value=raw[ops[0]], item=item, score=score)


def parse_definition(data: Mapping[str, Any]) -> Instrument:
    """Build an Instrument from its JSON form, or raise DefinitionError saying what is wrong."""
    for key in ("code", "name", "version", "licence", "items", "scores"):
        if key not in data:
            raise DefinitionError(f"{data.get('code', '?')}: missing {key!r}")
    code = str(data["code"])
    option_sets: dict[str, tuple[Option, ...]] = {}
    for name, raw_options in data.get("option_sets", {}).items():
        try:
            option_sets[name] = tuple(Option(int(o["value"]), str(o["label"])) for o in raw_options)
        except (KeyError, TypeError, ValueError):
            raise DefinitionError(f"{code}: option set {name!r} needs value and label") from None
        if len({o.value for o in option_sets[name]}) != len(option_sets[name]):
            raise DefinitionError(f"{code}: option set {name!r} repeats a value")
    item_codes = [str(i.get("code", "")) for i in data["items"]]
    if len(set(item_codes)) != len(item_codes) or "" in item_codes:
        raise DefinitionError(f"{code}: every item needs a unique code")
    score_codes = {str(s.get("code", "")) for s in data["scores"]}
    items: list[Item] = []
    for raw in data["items"]:
        where = f"{code} item {raw['code']}"
        options: tuple[Option, ...] = ()
        number_range = None
        if "options" in raw:
            if raw["options"] not in option_sets:
                raise DefinitionError(f"{where}: unknown option set {raw['options']!r}")
            options = option_sets[raw["options"]]
        elif "range" in raw:
            low, high = raw["range"]
            if not (isinstance(low, int) and isinstance(high, int) and low <= high):
                raise DefinitionError(f"{where}: range must be [low, high] whole numbers")
            number_range = (low, high)
        else:
            raise DefinitionError(f"{where}: give options or a range")
        recode = tuple(Recode(*r) for r in raw.get("recode", []))
        if recode and number_range:
            covered = {n for r in recode for n in range(r.low, r.high + 1)}
            if covered != set(range(number_range[0], number_range[1] + 1)):
                raise DefinitionError(f"{where}: recode must cover every value in the range")
        show_if = raw.get("show_if")
        items.append(
            Item(
                code=str(raw["code"]),
                text=str(raw.get("text", "")),
                options=options,
                number_range=number_range,
                recode=recode,
                reverse=bool(raw.get("reverse", False)),
                required=bool(raw.get("required", True)),
                scored=bool(raw.get("scored", True)),
                show_if=_condition(show_if, where, set(item_codes), set()) if show_if else None,
            )
        )
    scores = []
    for raw in data["scores"]:
        members = tuple(str(c) for c in raw.get("items", []))
        unknown = [c for c in members if c not in item_codes]
        if not members or unknown:
            raise DefinitionError(f"{code} score {raw.get('code')}: unknown or no items {unknown}")
        scores.append(ScoreRule(str(raw["code"]), str(raw.get("label", raw["code"])), members))
    instrument = Instrument(
        code=code,
        name=str(data["name"]),
        version=str(data["version"]),
        licence=str(data["licence"]),
        enabled_by_default=bool(data.get("enabled_by_default", True)),
        timeframe=str(data.get("timeframe", "")),
        items=tuple(items),
        scores=tuple(scores),
        loinc=dict(data.get("loinc", {})),
    )
    bands = []
    for raw in data.get("bands", []):
        if raw.get("score") not in score_codes:
            raise DefinitionError(f"{code} band {raw.get('label')}: unknown score")
        bands.append(
            Band(
                str(raw["score"]),
                int(raw["low"]),
                int(raw["high"]),
                str(raw["label"]),
                bool(raw.get("flag", False)),
            )
        )
    for score_code in {b.score for b in bands}:
        mine = sorted((b for b in bands if b.score == score_code), key=lambda b: b.low)
        low, high = instrument.score_range(score_code)
        expected = low
        for band in mine:
            if band.low != expected or band.high < band.low:
                raise DefinitionError(
                    f"{code} bands for {score_code}: gap or overlap at {expected}"
                )
            expected = band.high + 1
        if expected != high + 1:
            raise DefinitionError(f"{code} bands for {score_code}: must end at {high}")
    triage = None
    if "triage" in data:
        levels = tuple(data["triage"]["levels"])
        by_item = {str(k): str(v) for k, v in data["triage"]["by_item"].items()}
        if any(v not in levels for v in by_item.values()) or any(
            k not in item_codes for k in by_item
        ):
            raise DefinitionError(f"{code} triage: unknown level or item")
        triage = TriageLevel(levels, by_item)
    alerts = []
    for raw in data.get("alerts", []):
        where = f"{code} alert {raw.get('code')}"
        if "message" not in raw or "code" not in raw:
            raise DefinitionError(f"{where}: needs a code and a message")
        when_triage = tuple(str(level) for level in raw.get("when_triage", []))
        if when_triage and (triage is None or not set(when_triage) <= set(triage.levels)):
            raise DefinitionError(f"{where}: when_triage names an unknown triage level")
        when = (
            None
            if when_triage
            else _condition(raw.get("when"), where, set(item_codes), score_codes)
        )
        alerts.append(
            AlertRule(
                str(raw["code"]),
                when,
                str(raw["message"]),
                str(raw.get("severity", "high")),
                when_triage,
            )
        )
    return Instrument(
        **{**instrument.__dict__, "bands": tuple(bands), "alerts": tuple(alerts), "triage": triage}
    )


def score(instrument: Instrument, answers: Mapping[str, int | None]) -> Result:
    """Score one administration. Raises AnswerError (listing every problem) or returns a
    Result; never scores a form with a missing required or out-of-range answer."""
    problems: dict[str, str] = {}
    item_scores: dict[str, int | None] = {}
    raw_values: dict[str, int | None] = {}
    for item in instrument.items:
        raw = answers.get(item.code)
        shown = item.show_if is None or item.show_if.holds(raw_values, {})
        if raw is None:
            if shown and item.required:
                problems[item.code] = "an answer is required"
            raw_values[item.code] = None
            item_scores[item.code] = None
            continue
        if not shown:
            problems[item.code] = "should be left blank (it follows from an earlier answer)"
            continue
        if isinstance(raw, bool) or not isinstance(raw, int) or not item.accepts(raw):
            problems[item.code] = f"{raw!r} is not one of the allowed answers"
            continue
        raw_values[item.code] = raw
        item_scores[item.code] = item.item_score(raw) if item.scored else None
    unknown = sorted(set(answers) - {i.code for i in instrument.items})
    for code in unknown:
        problems[code] = "is not an item of this instrument"
    if problems:
        raise AnswerError(problems)
    scores = {rule.code: sum(item_scores[c] or 0 for c in rule.items) for rule in instrument.scores}
    bands = {b.score: b for b in instrument.bands if b.low <= scores[b.score] <= b.high}
    triage = None
    if instrument.triage is not None:
        levels = instrument.triage.levels
        positive = [
            instrument.triage.by_item[c]
            for c, v in raw_values.items()
            if c in instrument.triage.by_item and v
        ]
        triage = max(positive, key=levels.index) if positive else levels[0]
    alerts = tuple(a for a in instrument.alerts if a.fires(raw_values, scores, triage))
    return Result(item_scores, scores, bands, alerts, triage)
