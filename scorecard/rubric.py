"""The rubric as data (docs/scoring.md; docs/architecture.md principle 4).

A rubric is a YAML file (``rubrics/rubric-v1.yaml`` is the default). ``load_rubric`` reads it,
checks it with pydantic models and returns a :class:`Rubric` that knows

* its ``version`` and the ``sha256`` of the file bytes (recorded in every score row),
* ``params()``: the flat dict of SQL parameters the review SQL binds (``$w_spi``, ``$band_a`` ...),
* its leaves with Chinese/English names and formula text, for the report's method chapter.

The structure is fixed because the SQL computes the measured values (seven known leaves under four
first-level indicators, six flags, five recommendations in a fixed order); the numbers — points,
thresholds, grade bands — are free. Anything wrong raises :class:`RubricError` naming the file and
the offending key.
"""

from __future__ import annotations

import hashlib
import math
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from scorecard import codes, texts
from scorecard.files import LoadedFile, model_property, read_yaml_mapping, validated
from scorecard.settings import DEFAULT_RUBRIC

# leaf code -> the first-level indicator it belongs to (the SQL groups points this way, §3).
LEAF_INDICATOR: dict[str, str] = {
    "spi": "process",
    "on_time": "process",
    "fund_execution": "process",
    "self_funding": "process",
    "output": "output",
    "outcome": "outcome",
    "expert": "expert",
}
INDICATOR_CODES = ("process", "output", "outcome", "expert")
GRADE_BAND_ORDER = ("A", "B", "C")
# The order in which sql/review/80_recommendation.sql tests the rules (§6).
RECOMMENDATION_ORDER = tuple(codes.RECOMMENDATIONS)


class RubricError(ValueError):
    """A rubric file that cannot be used; the message names the file and the key."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Leaf(_Model):
    code: str
    zh: str
    en: str
    points: float = Field(ge=0)
    formula_zh: str = ""
    formula_en: str = ""


class Indicator(_Model):
    code: str
    zh: str
    en: str
    points: float | None = None  # optional; when given it must equal the sum of its leaves
    leaves: list[Leaf] = Field(min_length=1)

    @property
    def total_points(self) -> float:
        return sum(leaf.points for leaf in self.leaves)


class Thresholds(_Model):
    exec_target: float = Field(gt=0)
    grace_days: int = Field(ge=0)
    min_coverage: float = Field(ge=0, le=1)
    trim_min_experts: int = Field(ge=3)
    stall_overdue_days: int = Field(ge=0)
    stall_window_days: int = Field(ge=1)
    low_exec_rate: float = Field(ge=0)
    low_exec_days: int = Field(ge=0)
    self_gap_rate: float = Field(ge=0)
    overspend_tolerance: float = Field(ge=0)
    problem_min_flags: int = Field(ge=1)
    report_cutoff: str = Field(default="09-30", pattern=r"^\d{2}-\d{2}$")  # missing_report: started by MM-DD of Y

    @property
    def cutoff_month_day(self) -> tuple[int, int]:
        month, day = (int(part) for part in self.report_cutoff.split("-"))
        return month, day


class GradeBand(_Model):
    grade: str
    min: float = Field(gt=0, le=100)


class Documented(_Model):
    code: str
    zh: str
    en: str


class Sensitivity(_Model):
    """Decision robustness (docs/analytics.md §1): the one-at-a-time shift, the random rubrics, the cut-off."""

    delta_points: float = Field(default=5, gt=0, le=50)  # Δ: points moved onto / off one first-level indicator
    random_rubrics: int = Field(default=200, ge=0, le=10_000)  # random rubrics drawn around the official one
    seed: int = Field(default=2017, ge=0)  # the draws' seed: the same seed gives the same rubrics
    fragile_share: float = Field(default=0.9, ge=0, le=1)  # kept in fewer than this share of random rubrics → fragile


class Signals(_Model):
    """Signals for follow-up (docs/analytics.md §2): the thresholds of the six signals."""

    rush_share: float = Field(default=0.6, gt=0, le=1)  # year_end_rush: Q4's share of the year's fiscal spending
    rush_min_wan: float = Field(default=100, ge=0)  # ... and the year's fiscal spending at least this (万元)
    copy_min_chars: int = Field(default=20, ge=1)  # copied_summary: normalised summaries at least this long
    panel_min_experts: int = Field(default=3, ge=2)  # expert_disagreement: a panel of at least this many experts ...
    panel_spread: float = Field(default=30, gt=0, le=100)  # ... whose highest and lowest score differ by this much
    cluster_min: int = Field(default=2, ge=2)  # undertaker_cluster: problem projects of one undertaker in the year


# --- the portfolio-adjustment section (docs/programme-management.md §4) ------------------------------
class Adjustment(_Model):
    """``adjustment:`` — thresholds of the field/plan suggestions, tested in the order of the fields below
    (too_few, shrink, adjust, expand, else maintain). Shares are 0..1, scores 0..100."""

    min_projects: int = Field(default=5, ge=1)  # too_few: fewer reviewed projects than this
    shrink_terminate_share: float = Field(default=0.20, ge=0, le=1)  # shrink: share_terminate >= this
    shrink_mean_score: float = Field(default=70.0, ge=0, le=100)  # ... or mean_score < this
    adjust_problem_share: float = Field(default=0.10, ge=0, le=1)  # adjust: problem_share >= this
    adjust_share_ab: float = Field(default=0.5, ge=0, le=1)  # ... or share_ab < this
    expand_mean_score: float = Field(default=85.0, ge=0, le=100)  # expand: mean_score >= this
    expand_share_ab: float = Field(default=0.8, ge=0, le=1)  # ... and share_ab >= this
    expand_problem_share: float = Field(default=0.05, ge=0, le=1)  # ... and problem_share <= this

    def params(self) -> dict[str, Any]:
        """``$adj_<key>`` for sql/analytics/52_portfolio_adjustment.sql, as exact decimals."""
        return {f"adj_{k}": exact(v) for k, v in self.model_dump().items()}


def check_adjustment(section: Adjustment, path: Path) -> None:
    """An expand rule below the shrink rule could never be told apart from it: refuse it."""
    if section.expand_mean_score < section.shrink_mean_score:
        raise RubricError(
            f"{path}: adjustment.expand_mean_score: {section.expand_mean_score:g} is below "
            f"adjustment.shrink_mean_score {section.shrink_mean_score:g}"
        )


class RubricFile(_Model):
    version: str = Field(min_length=1)
    title_zh: str = ""
    title_en: str = ""
    basis: str = ""
    indicators: list[Indicator]
    thresholds: Thresholds
    grade_bands: list[GradeBand]
    flags: list[Documented] = Field(default_factory=list)
    recommendations: list[Documented] = Field(default_factory=list)
    sensitivity: Sensitivity = Field(default_factory=Sensitivity)
    signals: Signals = Field(default_factory=Signals)
    adjustment: Adjustment = Field(default_factory=Adjustment)  # docs/programme-management.md §4


class Rubric(LoadedFile):
    """A validated rubric: the file's model plus its path, version and SHA-256."""

    model: RubricFile

    version = model_property("version")
    indicators = model_property("indicators")
    thresholds = model_property("thresholds")
    sensitivity = model_property("sensitivity")
    signals = model_property("signals")

    @property
    def leaves(self) -> list[Leaf]:
        return [leaf for ind in self.model.indicators for leaf in ind.leaves]

    @property
    def group_points(self) -> dict[str, float]:
        """Points per first-level indicator, in the fixed order process, output, outcome, expert."""
        by_code = {ind.code: ind.total_points for ind in self.model.indicators}
        return {code: by_code.get(code, 0.0) for code in INDICATOR_CODES}

    def analytics_params(self) -> dict[str, Any]:
        """The SQL parameters of sql/analytics/: the review's, plus the signals' thresholds (``$rush_share`` …)
        and the robustness cut-off ``$fragile_share``, as exact decimals."""
        out = self.params()
        out.update({k: exact(v) for k, v in self.model.signals.model_dump().items()})
        out["fragile_share"] = exact(self.model.sensitivity.fragile_share)
        return out

    @property
    def grade_bands(self) -> dict[str, float]:
        return {band.grade: band.min for band in self.model.grade_bands}

    def params(self) -> dict[str, Any]:
        """The SQL parameters of sql/review/ (``$w_<leaf>``, thresholds, ``$band_a/b/c``, version).

        Every non-integer number is bound as a ``Decimal`` of the digits written in the file, so the SQL
        compares it exactly (0.3 is 0.3, not 0.299999…; docs/scoring.md §10).
        """
        out: dict[str, Any] = {f"w_{leaf.code}": exact(leaf.points) for leaf in self.leaves}
        thresholds = self.model.thresholds.model_dump()
        thresholds.pop("report_cutoff")
        out.update({k: exact(v) for k, v in thresholds.items()})
        out["report_cutoff_month"], out["report_cutoff_day"] = self.thresholds.cutoff_month_day
        out.update({f"band_{grade.lower()}": exact(minimum) for grade, minimum in self.grade_bands.items()})
        out.update(self.model.adjustment.params())
        out["rubric_version"] = self.version
        out["rubric_sha256"] = self.sha256
        return out

    def text_values(self) -> dict[str, str]:
        """The numbers a rubric text may name, formatted as a reader writes them (``{exec_target}`` → 0.8)."""
        values = {k: f"{v:g}" for k, v in self.model.thresholds.model_dump().items() if k != "report_cutoff"}
        values.update({f"w_{leaf.code}": f"{leaf.points:g}" for leaf in self.leaves})
        values.update({f"band_{g.lower()}": f"{m:g}" for g, m in self.grade_bands.items()})
        month, day = self.thresholds.cutoff_month_day
        values["report_cutoff_zh"] = f"{month} 月 {day} 日"
        values["report_cutoff_en"] = date(2000, month, day).strftime("%-d %B")
        return values

    def __repr__(self) -> str:
        return f"Rubric(version={self.version!r}, path={str(self.path)!r}, sha256={self.sha256[:12]}…)"


def exact(value: Any) -> Any:
    """A float as the Decimal of its shortest decimal spelling (``0.3`` → ``Decimal('0.3')``); ints as is."""
    if isinstance(value, float):
        return Decimal(repr(value))
    return value


def render_texts(model: RubricFile, values: dict[str, str], path: Path) -> RubricFile:
    """Fill the formula, flag and recommendation texts from the rubric's numbers (scorecard/texts.py)."""

    def fill(template: str, where: str, extra: dict[str, str]) -> str:
        return texts.fill(template, {**values, **extra}, f"{path}: {where}", RubricError)

    indicators = [
        ind.model_copy(
            update={
                "leaves": [
                    leaf.model_copy(
                        update={
                            lang: fill(
                                getattr(leaf, lang),
                                f"indicators[{i}].leaves[{j}].{lang}",
                                {"points": f"{leaf.points:g}"},
                            )
                            for lang in ("formula_zh", "formula_en")
                        }
                    )
                    for j, leaf in enumerate(ind.leaves)
                ]
            }
        )
        for i, ind in enumerate(model.indicators)
    ]
    documented = {
        section: [
            doc.model_copy(
                update={lang: fill(getattr(doc, lang), f"{section}[{k}].{lang}", {}) for lang in ("zh", "en")}
            )
            for k, doc in enumerate(getattr(model, section))
        ]
        for section in ("flags", "recommendations")
    }
    return model.model_copy(update={"indicators": indicators, **documented})


def load_rubric(path: Path | str = DEFAULT_RUBRIC) -> Rubric:
    """Read and check a rubric YAML file; raise :class:`RubricError` if it cannot be used."""
    path = Path(path)
    data, raw = read_yaml_mapping(path, RubricError, "rubric", "version, indicators, thresholds, grade_bands")
    if isinstance(raw.get("version"), (int, float)):
        raw["version"] = str(raw["version"])
    model = validated(RubricFile, raw, path, RubricError)
    _check(model, path)
    check_adjustment(model.adjustment, path)
    rubric = Rubric(model, path.resolve(), hashlib.sha256(data).hexdigest())
    rubric.model = render_texts(model, rubric.text_values(), path)
    return rubric


def _check(model: RubricFile, path: Path) -> None:
    """The rules pydantic's field types cannot express (docs/scoring.md §3, §4, §5, §6)."""
    seen: set[str] = set()
    for i, ind in enumerate(model.indicators):
        where = f"indicators[{i}]"
        if ind.code not in INDICATOR_CODES:
            raise RubricError(
                f"{path}: {where}.code: unknown first-level indicator {ind.code!r} "
                f"(known: {', '.join(INDICATOR_CODES)})"
            )
        for j, leaf in enumerate(ind.leaves):
            key = f"{where}.leaves[{j}].code"
            if leaf.code not in LEAF_INDICATOR:
                raise RubricError(f"{path}: {key}: unknown leaf {leaf.code!r} (known: {', '.join(LEAF_INDICATOR)})")
            if leaf.code in seen:
                raise RubricError(f"{path}: {key}: leaf {leaf.code!r} appears twice")
            if LEAF_INDICATOR[leaf.code] != ind.code:
                raise RubricError(
                    f"{path}: {key}: leaf {leaf.code!r} belongs under indicator "
                    f"{LEAF_INDICATOR[leaf.code]!r}, not {ind.code!r}"
                )
            seen.add(leaf.code)
        if ind.points is not None and not math.isclose(ind.points, ind.total_points, abs_tol=1e-9):
            raise RubricError(
                f"{path}: {where}.points: {ind.code} says {ind.points:g} but its leaves add up to {ind.total_points:g}"
            )
    missing = [code for code in LEAF_INDICATOR if code not in seen]
    if missing:
        raise RubricError(f"{path}: indicators: missing leaf {', '.join(missing)} (give it 0 points to switch it off)")
    total = sum(ind.total_points for ind in model.indicators)
    if not math.isclose(total, 100.0, abs_tol=1e-9):
        raise RubricError(f"{path}: indicators: leaf points add up to {total:g}, not 100")

    grades = [band.grade for band in model.grade_bands]
    if grades != list(GRADE_BAND_ORDER):
        raise RubricError(
            f"{path}: grade_bands: expected bands {', '.join(GRADE_BAND_ORDER)} in that order, got "
            f"{', '.join(grades) or 'none'}"
        )
    mins = [band.min for band in model.grade_bands]
    for k in range(1, len(mins)):
        if not mins[k] < mins[k - 1]:
            raise RubricError(
                f"{path}: grade_bands[{k}].min: bands out of order — {grades[k]} starts at {mins[k]:g}, "
                f"which is not below {grades[k - 1]} at {mins[k - 1]:g}"
            )

    flag_codes = [flag.code for flag in model.flags]
    unknown = [c for c in flag_codes if c not in codes.FLAGS]
    if unknown:
        raise RubricError(f"{path}: flags: unknown flag {', '.join(unknown)} (known: {', '.join(codes.FLAGS)})")
    _check_sensitivity(model, path)
    rec_codes = [rec.code for rec in model.recommendations]
    if rec_codes and rec_codes != list(RECOMMENDATION_ORDER):
        raise RubricError(
            f"{path}: recommendations: the rules are tested in the fixed order "
            f"{', '.join(RECOMMENDATION_ORDER)} (sql/review/80_recommendation.sql); got {', '.join(rec_codes)}"
        )


def _check_sensitivity(model: RubricFile, path: Path) -> None:
    """Every scenario of docs/analytics.md §1 must be a rubric: g − Δ leaves no first-level indicator
    below 0 points, and g + Δ leaves the others something to give (no indicator holds all 100)."""
    delta = model.sensitivity.delta_points
    for ind in model.indicators:
        if ind.total_points < delta:
            raise RubricError(
                f"{path}: sensitivity.delta_points: {delta:g} is more than the {ind.total_points:g} points of "
                f"indicator {ind.code!r}, so the scenario {ind.code}-{delta:g} would give it negative points; "
                f"lower delta_points"
            )
        if math.isclose(ind.total_points, 100.0, abs_tol=1e-9):
            raise RubricError(
                f"{path}: sensitivity: indicator {ind.code!r} holds all 100 points, so no other indicator can give "
                f"points to it; the robustness scenarios need at least two indicators with points"
            )
