"""The rubric file: loaded, hashed, turned into SQL parameters, and rejected with a clear message
when it cannot be used (docs/scoring.md; docs/architecture.md principle 4)."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path

import pytest

from scorecard.rubric import RubricError, load_rubric
from scorecard.settings import DEFAULT_RUBRIC

TEXT = DEFAULT_RUBRIC.read_text(encoding="utf-8")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rubric-test.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_default_rubric_loads_with_version_hash_and_params():
    rubric = load_rubric()
    assert rubric.version == "v1"
    assert rubric.sha256 == hashlib.sha256(DEFAULT_RUBRIC.read_bytes()).hexdigest()
    params = rubric.params()
    assert {
        k: params[k]
        for k in ("w_spi", "w_on_time", "w_fund_execution", "w_self_funding", "w_output", "w_outcome", "w_expert")
    } == {
        "w_spi": 15,
        "w_on_time": 5,
        "w_fund_execution": 5,
        "w_self_funding": 5,
        "w_output": 40,
        "w_outcome": 15,
        "w_expert": 15,
    }
    assert {
        k: params[k]
        for k in (
            "exec_target",
            "grace_days",
            "stall_overdue_days",
            "stall_window_days",
            "low_exec_rate",
            "low_exec_days",
            "self_gap_rate",
            "overspend_tolerance",
            "band_a",
            "band_b",
            "band_c",
            "min_coverage",
            "trim_min_experts",
            "problem_min_flags",
        )
    } == {
        "exec_target": Decimal("0.8"),
        "grace_days": 30,
        "stall_overdue_days": 180,
        "stall_window_days": 365,
        "low_exec_rate": Decimal("0.3"),
        "low_exec_days": 365,
        "self_gap_rate": Decimal("0.5"),
        "overspend_tolerance": Decimal("0.01"),
        "band_a": 90,
        "band_b": 80,
        "band_c": 60,
        "min_coverage": Decimal("0.5"),
        "trim_min_experts": 5,
        "problem_min_flags": 2,
    }
    # rates are bound as the exact decimals written in the file (docs/scoring.md §10)
    assert all(isinstance(params[k], Decimal) for k in ("exec_target", "low_exec_rate", "self_gap_rate", "band_a"))
    assert (params["rubric_version"], params["rubric_sha256"]) == ("v1", rubric.sha256)
    # leaves carry names and formula text for the report's method chapter
    spi = rubric.leaves[0]
    assert (spi.code, spi.zh, spi.en, spi.points) == ("spi", "节点进度", "Milestone progress", 15)
    assert spi.formula_en.startswith("15 × min(SPI, 1)")
    assert [i.code for i in rubric.indicators] == ["process", "output", "outcome", "expert"]
    assert [i.total_points for i in rubric.indicators] == [30, 40, 15, 15]


def test_unknown_leaf(tmp_path):
    path = write(tmp_path, TEXT.replace("      - code: on_time\n", "      - code: on_tyme\n"))
    with pytest.raises(RubricError) as err:
        load_rubric(path)
    assert str(err.value).startswith(str(path))
    assert "indicators[0].leaves[1].code: unknown leaf 'on_tyme'" in str(err.value)


def test_points_not_summing_to_100(tmp_path):
    path = write(tmp_path, TEXT.replace("        points: 40\n", "        points: 45\n"))
    with pytest.raises(RubricError, match=r"rubric-test.yaml: indicators: leaf points add up to 105, not 100"):
        load_rubric(path)


def test_bands_out_of_order(tmp_path):
    path = write(tmp_path, TEXT.replace("  - grade: B\n    min: 80\n", "  - grade: B\n    min: 95\n"))
    with pytest.raises(
        RubricError, match=r"grade_bands\[1\]\.min: bands out of order — B starts at 95, which is not below A at 90"
    ):
        load_rubric(path)


def test_missing_leaf_and_leaf_under_wrong_indicator(tmp_path):
    # move the expert leaf under outcome: wrong indicator
    moved = TEXT.replace(
        '        formula_en: "{points} × outcome achievement (the same, over outcome indicators)"\n',
        "        formula_en: x\n      - code: expert\n        zh: 专家\n        en: Expert\n        points: 0\n",
    )
    with pytest.raises(RubricError, match=r"leaf 'expert' belongs under indicator 'expert', not 'outcome'"):
        load_rubric(write(tmp_path, moved))
    dropped = TEXT.replace("      - code: on_time\n", "      - code: spi\n")
    with pytest.raises(RubricError, match=r"leaf 'spi' appears twice"):
        load_rubric(write(tmp_path, dropped))


def test_unknown_key_bad_value_and_bad_yaml(tmp_path):
    with pytest.raises(RubricError, match=r"thresholds\.grace_dayz: Extra inputs are not permitted"):
        load_rubric(write(tmp_path, TEXT.replace("  grace_days: 30", "  grace_dayz: 30")))
    with pytest.raises(RubricError, match=r"thresholds\.grace_days"):
        load_rubric(write(tmp_path, TEXT.replace("  grace_days: 30", "  grace_days: soon")))
    with pytest.raises(RubricError, match=r"not a readable YAML file"):
        load_rubric(write(tmp_path, "version: [unclosed\n"))
    with pytest.raises(RubricError, match=r"cannot read the rubric file"):
        load_rubric(tmp_path / "nope.yaml")


def test_recommendation_order_is_fixed(tmp_path):
    swapped = (
        TEXT.replace("  - code: acceptance_review\n", "  - code: tmp\n")
        .replace("  - code: suspend_funding\n", "  - code: acceptance_review\n")
        .replace("  - code: tmp\n", "  - code: suspend_funding\n")
    )
    with pytest.raises(RubricError, match=r"recommendations: the rules are tested in the fixed order"):
        load_rubric(write(tmp_path, swapped))


def test_changed_file_changes_hash_and_params(tmp_path):
    path = write(
        tmp_path, TEXT.replace('version: "v1"', 'version: "v2"').replace("  exec_target: 0.8", "  exec_target: 0.9")
    )
    rubric = load_rubric(path)
    assert rubric.version == "v2" and rubric.params()["exec_target"] == Decimal("0.9")
    assert rubric.sha256 != load_rubric().sha256
