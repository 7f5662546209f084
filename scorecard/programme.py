"""The programme as data (docs/programme.md): period, first review year, annual budget and targets.

A programme is a YAML file (``programmes/shenzhen-2017.yaml`` is the default; ``SCORECARD_PROGRAMME``
selects another). ``load_programme`` checks it with pydantic and returns a :class:`Programme` that knows
its SHA-256 (recorded in every manifest), the SQL parameters of ``sql/summary/`` and its texts filled
from its numbers. No target number or programme year is written anywhere else.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from scorecard import codes, texts
from scorecard.files import LoadedFile, model_property, read_yaml_mapping, validated
from scorecard.rubric import exact


class ProgrammeError(ValueError):
    """A programme file that cannot be used; the message names the file and the key."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Period(_Model):
    start: int = Field(ge=2000, le=2100)
    end: int = Field(ge=2000, le=2100)

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class Target(_Model):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    measure: Literal["plan_projects", "annual_net_disbursement", "macro"]
    comparison: Literal[">", ">="]
    threshold: float | None = None
    plan: str | None = None
    by_year: int | None = None
    unit: str
    name_zh: str
    name_en: str


class ProgrammeFile(_Model):
    code: str
    name_zh: str
    name_en: str
    period: Period
    first_review_year: int = Field(ge=2000, le=2100)
    annual_budget_wan: float = Field(gt=0)
    budget_zh: str
    budget_en: str
    targets: list[Target] = Field(min_length=1)


class Programme(LoadedFile):
    """A validated programme file plus its path and SHA-256."""

    model: ProgrammeFile

    start = model_property("period.start")
    end = model_property("period.end")

    @property
    def years(self) -> list[int]:
        return list(range(self.start, self.end + 1))

    first_review_year = model_property("first_review_year")
    annual_budget_wan = model_property("annual_budget_wan")

    def params(self) -> dict[str, Any]:
        """The SQL parameters of sql/summary/ (exact decimals for the money)."""
        return {
            "period_start": self.start,
            "period_end": self.end,
            "annual_budget_wan": exact(float(self.annual_budget_wan)),
        }

    def target_rows(self) -> list[tuple]:
        """Rows of the temp table programme_target that sql/summary/20_program_target.sql reads."""
        return [
            (t.code, t.measure, t.plan, t.comparison, exact(float(self.threshold(t))), t.unit, t.name_zh, t.name_en)
            for t in self.model.targets
        ]

    def threshold(self, target: Target) -> float:
        return self.annual_budget_wan if target.threshold is None else target.threshold

    def budget_text(self, lang: str) -> str:
        return self.model.budget_zh if lang == "zh" else self.model.budget_en

    def text_values(self) -> dict[str, str]:
        return {
            "budget_wan": texts.number(self.annual_budget_wan),
            "budget_yi": texts.number(self.annual_budget_wan / 10000),
            "budget_bn": texts.number(self.annual_budget_wan / 100000),
            "start": str(self.start),
            "end": str(self.end),
        }

    def starting_reviews_in(self, year: int) -> Programme:
        """The same programme with its first mid-term review in ``year`` (tests, and a programme whose
        earlier years are out of scope: years before it are never history)."""
        model = self.model.model_copy(update={"first_review_year": int(year)})
        return Programme(model, self.path, self.sha256)

    def __repr__(self) -> str:
        return f"Programme(code={self.model.code!r}, {self.start}–{self.end}, sha256={self.sha256[:12]}…)"


def _check(model: ProgrammeFile, path: Path) -> None:
    if not model.period.start <= model.first_review_year:
        raise ProgrammeError(f"{path}: first_review_year: {model.first_review_year} is before the period starts")
    seen: set[str] = set()
    for i, t in enumerate(model.targets):
        where = f"{path}: targets[{i}]"
        if t.code in seen:
            raise ProgrammeError(f"{where}.code: target {t.code!r} appears twice")
        seen.add(t.code)
        if t.measure == "plan_projects" and t.plan not in codes.PLANS:
            raise ProgrammeError(f"{where}.plan: {t.plan!r} is not a support plan (known: {', '.join(codes.PLANS)})")
        if t.measure != "annual_net_disbursement" and t.threshold is None:
            raise ProgrammeError(f"{where}.threshold: a {t.measure} target needs a threshold")


def _render(model: ProgrammeFile, path: Path) -> ProgrammeFile:
    """Fill the target names and budget sentences from the numbers (a per-year name keeps {year})."""
    base = Programme(model, path, "").text_values()
    targets = []
    for i, t in enumerate(model.targets):
        threshold = model.annual_budget_wan if t.threshold is None else t.threshold
        names = {**base, "threshold": texts.number(threshold), "year": "{year}"}
        if t.by_year is not None:
            names["by_year"] = str(t.by_year)
        update = {
            lang: texts.fill(getattr(t, lang), names, f"{path}: targets[{i}].{lang}", ProgrammeError)
            for lang in ("name_zh", "name_en")
        }
        targets.append(t.model_copy(update=update))
    budget = {
        lang: texts.fill(getattr(model, lang), base, f"{path}: {lang}", ProgrammeError)
        for lang in ("budget_zh", "budget_en")
    }
    return model.model_copy(update={"targets": targets, **budget})


def load_programme(path: Path | str | None = None) -> Programme:
    """Read and check a programme file (default: the settings' ``SCORECARD_PROGRAMME``)."""
    from scorecard.settings import get_settings

    path = Path(path) if path else get_settings().programme
    return _load(path.resolve())


def _load(path: Path) -> Programme:
    data, raw = read_yaml_mapping(path, ProgrammeError, "programme", "period, annual_budget_wan, targets")
    model = validated(ProgrammeFile, raw, path, ProgrammeError)
    _check(model, path)
    return Programme(_render(model, path), path, hashlib.sha256(data).hexdigest())
