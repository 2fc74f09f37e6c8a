"""The plan-template outline: a plain-text way to write a program's starting plan.

    Problem: Alcohol use is harming work and health
      Goal: "I want to stop drinking and keep my job"
        Objective [30 days]: Attend at least 9 hours of groups each week
          Intervention [group, rp, 3 times a week]: Relapse-prevention group

Indentation is optional; quotes around a goal are dropped. `[N days]` sets the objective's
target date N days after the plan is started. An intervention's brackets hold modality,
approach and frequency.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .choices import Approach, Modality


class OutlineError(ValueError):
    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class OInterv:
    description: str
    modality: str
    approach: str
    frequency: str


@dataclass
class OObjective:
    text: str
    days: int
    interventions: list[OInterv] = field(default_factory=list)


@dataclass
class OGoal:
    patient_words: str
    objectives: list[OObjective] = field(default_factory=list)


@dataclass
class OProblem:
    statement: str
    goals: list[OGoal] = field(default_factory=list)


LINE = re.compile(
    r"^(problem|goal|objective|intervention)\s*(\[(?P<opts>[^\]]*)\])?\s*:\s*(?P<text>.+)$", re.I
)
DAYS = re.compile(r"^(\d{1,3})\s*days?$", re.I)
QUOTES = {'"': '"', "“": "”", "'": "'"}


def _unquote(text: str) -> str:
    """A goal is written in quotes (the patient's words); the quotes are not part of it."""
    if len(text) >= 2 and QUOTES.get(text[0]) == text[-1]:
        return text[1:-1].strip() or text
    return text


def parse(text: str) -> list[OProblem]:
    problems: list[OProblem] = []
    errors: list[str] = []
    modalities = {m.value: m.value for m in Modality} | {m.label.lower(): m.value for m in Modality}
    approaches = {a.value: a.value for a in Approach} | {a.label.lower(): a.value for a in Approach}
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = LINE.match(line)
        if not m:
            errors.append(f"line {n}: start with Problem:, Goal:, Objective: or Intervention:")
            continue
        kind, opts, body = m.group(1).lower(), (m.group("opts") or "").strip(), m.group("text")
        body = body.strip()[:300]
        if kind == "problem":
            problems.append(OProblem(body))
        elif kind == "goal":
            if not problems:
                errors.append(f"line {n}: a Goal needs a Problem above it")
                continue
            problems[-1].goals.append(OGoal(_unquote(body)))
        elif kind == "objective":
            if not problems or not problems[-1].goals:
                errors.append(f"line {n}: an Objective needs a Goal above it")
                continue
            days = 30
            if opts:
                dm = DAYS.match(opts)
                if not dm:
                    errors.append(f"line {n}: write the target as [30 days]")
                    continue
                days = int(dm.group(1))
            problems[-1].goals[-1].objectives.append(OObjective(body, days))
        else:
            if not problems or not problems[-1].goals or not problems[-1].goals[-1].objectives:
                errors.append(f"line {n}: an Intervention needs an Objective above it")
                continue
            parts = [p.strip() for p in opts.split(",")] if opts else []
            modality = modalities.get(parts[0].lower()) if parts else None
            if modality is None:
                choices = ", ".join(m.value for m in Modality)
                errors.append(f"line {n}: start the brackets with a modality ({choices})")
                continue
            approach = approaches.get(parts[1].lower(), None) if len(parts) > 1 else Approach.OTHER
            if approach is None:
                choices = ", ".join(a.value for a in Approach)
                errors.append(f"line {n}: the second bracket item is an approach ({choices})")
                continue
            frequency = ", ".join(parts[2:])[:80] or "as planned"
            problems[-1].goals[-1].objectives[-1].interventions.append(
                OInterv(body, modality, approach, frequency)
            )
    if not problems and not errors:
        errors.append("the outline is empty: write at least one Problem: line")
    if errors:
        raise OutlineError(errors)
    return problems
