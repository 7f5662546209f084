"""Expectation suites as data (issue 4).

Two sources, no second list of columns:

* every raw dataset's suite is **derived from its contract** (``scorecard.contracts``): required
  columns and their DuckDB types, not-null, key uniqueness, code sets, ranges, period format, the
  contract's row rules (``end_date > start_date`` …) and the project reference;
* the warehouse facts, the marts and the cross-table rules come from ``rules.yaml`` next to this
  file. A warehouse suite names the contract it carries (``contract: milestones``) and gets the same
  derived rules on its table, referencing ``dim_project``; cross-table rules are a DuckDB query (a
  *frame*) plus a GX expectation on that frame.

A suite is validated frame by frame: ``table`` is the dataset's table, ``schema`` the table's columns
and types against the contract, and any further frame is a query from ``rules.yaml``. Severity
``ERROR`` (contract, structure) blocks the downstream assets; ``WARN`` (soft rules) does not.

This module is plain Python (dataclasses + YAML): it never imports Great Expectations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from scorecard import codes
from scorecard.contracts import CODE, DATASETS, DUCKDB_TYPES, ID, PERIOD, TEXT, Dataset
from scorecard.db import identifier
from scorecard.files import load_yaml

RULES_FILE = Path(__file__).with_name("rules.yaml")
ERROR, WARN = "ERROR", "WARN"
SEVERITIES = (ERROR, WARN)
PERIOD_REGEX = r"^[0-9]{4}Q[1-4]$"
LINEAGE_INDEX = ("_source_file", "_source_row")

# GX expectation classes a rule may name (great_expectations.expectations.<name>).
KNOWN_EXPECTATIONS = {
    "ExpectColumnValuesToNotBeNull",
    "ExpectColumnValuesToBeNull",
    "ExpectColumnValuesToBeUnique",
    "ExpectCompoundColumnsToBeUnique",
    "ExpectColumnValuesToBeInSet",
    "ExpectColumnValuesToBeBetween",
    "ExpectColumnValuesToMatchRegex",
    "ExpectColumnValueLengthsToBeBetween",
    "ExpectColumnPairValuesToBeEqual",
    "ExpectColumnPairValuesAToBeGreaterThanB",
    "ExpectTableRowCountToBeBetween",
    "ExpectTableColumnsToMatchSet",
}


@dataclass(frozen=True)
class Frame:
    """A DataFrame to validate: a DuckDB query (``$name`` parameters bound at run time), the columns
    that identify a row in the examples of a failed expectation, and the row order those examples
    follow (``order_by``, an ORDER BY list: a rule's examples are its first failing rows)."""

    name: str
    sql: str
    index: tuple[str, ...] = ()
    order_by: str = ""

    def query(self, ordered: bool = True) -> str:
        """The frame's query, sorted by ``order_by`` unless ``ordered`` is False (counting needs no order)."""
        return f"{self.sql}\nORDER BY {self.order_by}" if ordered and self.order_by else self.sql


@dataclass
class Expectation:
    """One rule: a GX expectation class with its arguments, on one frame of the suite."""

    name: str  # the rule's name in the ledger, e.g. not_null, in_set, end_after_start
    gx: str  # GX class name, e.g. ExpectColumnValuesToBeBetween
    kwargs: dict[str, Any]
    severity: str = ERROR
    frame: str = "table"
    description: str = ""
    value_set_sql: str | None = None  # value_set read from the warehouse when the suite runs

    @property
    def column(self) -> str | None:
        k = self.kwargs
        if "column" in k:
            return k["column"]
        if "column_list" in k:
            return ",".join(k["column_list"])
        if "column_A" in k:
            return f"{k['column_A']},{k['column_B']}"
        return None

    @property
    def key(self) -> str:
        """Unique within a suite: rule name and column."""
        return f"{self.name}:{self.column}" if self.column else self.name


@dataclass
class Suite:
    name: str  # the ledger's `dataset`: raw.projects, fact_progress, mart.project_review
    asset: tuple[str, ...]  # the Dagster asset key path the checks attach to
    frames: dict[str, Frame]
    expectations: list[Expectation]
    partitioned: bool = False  # frames filter on $review_years; checks run per review year
    description: str = ""

    def by_severity(self, severity: str) -> list[Expectation]:
        return [e for e in self.expectations if e.severity == severity]

    @property
    def severities(self) -> list[str]:
        return [s for s in SEVERITIES if self.by_severity(s)]

    @property
    def schema(self) -> str:
        """The schema of the suite's table: ``raw``, ``mart``, or ``main`` for the star schema."""
        schema, _, _ = self.name.rpartition(".")
        return schema or "main"

    def in_schema(self, schema: str) -> Suite:
        """The same rules on the tables of another review schema (a what-if run's
        ``whatif_<version>_<sha8>``): every ``mart.`` table of a mart suite is read from ``schema``,
        and the suite (the ledger's ``dataset``) is named after it. Other suites are returned as they are."""
        if self.schema != "mart" or schema == "mart":
            return self
        schema = identifier(schema)

        def swap(sql: str | None) -> str | None:
            return None if sql is None else _MART_TABLE.sub(f"{schema}.", sql)

        return replace(
            self,
            name=swap(self.name),
            frames={k: replace(f, sql=swap(f.sql)) for k, f in self.frames.items()},
            expectations=[replace(e, value_set_sql=swap(e.value_set_sql)) for e in self.expectations],
        )


_MART_TABLE = re.compile(r"(?<![\w.])mart\.")  # a table qualified by the official review schema


# ------------------------------------------------------------------------------ from the contracts

_ROW_RULE = re.compile(r"^\s*([a-z_][a-z0-9_]*)\s*(>=|>)\s*([a-z_][a-z0-9_]*)\s*$")


def row_rule_expectation(dataset: Dataset, rule, frame: str = "table") -> Expectation:
    """A contract row rule ``a > b`` / ``a >= b`` as ExpectColumnPairValuesAToBeGreaterThanB."""
    m = _ROW_RULE.match(rule.sql)
    if not m:
        raise ValueError(
            f"{dataset.name}: row rule {rule.name!r} ({rule.sql!r}) is not of the form `a > b` or `a >= b`"
        )
    a, op, b = m.groups()
    return Expectation(
        rule.name,
        "ExpectColumnPairValuesAToBeGreaterThanB",
        {"column_A": a, "column_B": b, "or_equal": op == ">=", "ignore_row_if": "either_value_is_missing"},
        frame=frame,
        description=f"{rule.reason_en} must not happen ({rule.sql})",
    )


def contract_expectations(
    dataset: Dataset, projects_sql: str | None, frame: str = "table", values: bool = True
) -> list[Expectation]:
    """Every docs/data-contract.md rule of one dataset, from its contract (all ERROR).

    ``values=False`` keeps the structural rules only (columns and types, key uniqueness, the project
    reference): for a fact built by SQL from a raw table whose suite already checked every value rule
    on the same rows, re-validating each value would double the cost at national scale (3.6 M KPI
    rows) and could find nothing new; what SQL can break — columns, types, keys, joins — is checked."""
    out = [
        Expectation(
            "columns_present",
            "ExpectColumnValuesToNotBeNull",
            {"column": "actual_type"},
            frame="schema",
            description="every contract column exists in the table",
        ),
        Expectation(
            "column_types",
            "ExpectColumnPairValuesToBeEqual",
            {"column_A": "actual_type", "column_B": "expected_type", "ignore_row_if": "either_value_is_missing"},
            frame="schema",
            description="every column has the DuckDB type its contract type maps to",
        ),
    ]
    for c in dataset.columns if values else ():
        if not c.nullable:
            out.append(
                Expectation(
                    "not_null",
                    "ExpectColumnValuesToNotBeNull",
                    {"column": c.name},
                    frame=frame,
                    description=f"{c.zh} {c.name} is filled in",
                )
            )
            if c.type in (ID, TEXT):
                out.append(
                    Expectation(
                        "not_empty",
                        "ExpectColumnValueLengthsToBeBetween",
                        {"column": c.name, "min_value": 1},
                        frame=frame,
                        description=f"{c.zh} {c.name} is not an empty string",
                    )
                )
        if c.type == CODE and c.codes:
            out.append(
                Expectation(
                    "in_set",
                    "ExpectColumnValuesToBeInSet",
                    {"column": c.name, "value_set": sorted(c.codes)},
                    frame=frame,
                    description=f"{c.zh} {c.name} is a known code",
                )
            )
        if c.type == PERIOD:
            out.append(
                Expectation(
                    "period_format",
                    "ExpectColumnValuesToMatchRegex",
                    {"column": c.name, "regex": PERIOD_REGEX},
                    frame=frame,
                    description=f"{c.zh} {c.name} is YYYYQn",
                )
            )
        if c.min is not None or c.max is not None or c.gt is not None:
            kw: dict[str, Any] = {"column": c.name}
            bounds = []
            if c.gt is not None:
                kw.update(min_value=c.gt, strict_min=True)
                bounds.append(f"> {c.gt:g}")
            elif c.min is not None:
                kw["min_value"] = c.min
                bounds.append(f"≥ {c.min:g}")
            if c.max is not None:
                kw["max_value"] = c.max
                bounds.append(f"≤ {c.max:g}")
            out.append(
                Expectation(
                    "between",
                    "ExpectColumnValuesToBeBetween",
                    kw,
                    frame=frame,
                    description=f"{c.zh} {c.name} {' and '.join(bounds)}",
                )
            )
    if len(dataset.key) == 1:
        out.append(
            Expectation(
                "unique_key",
                "ExpectColumnValuesToBeUnique",
                {"column": dataset.key[0]},
                frame=frame,
                description=f"{dataset.key[0]} is unique",
            )
        )
    else:
        out.append(
            Expectation(
                "unique_key",
                "ExpectCompoundColumnsToBeUnique",
                {"column_list": list(dataset.key)},
                frame=frame,
                description=f"({', '.join(dataset.key)}) is unique",
            )
        )
    out += [row_rule_expectation(dataset, r, frame) for r in dataset.row_rules] if values else []
    if dataset.references_projects and projects_sql:
        # Referential integrity as an anti-join in DuckDB (frame "reference": the project_id where it is
        # unknown, else NULL), not as a value set: a value set of every project id makes GX
        # re-serialise a list of 100,000 ids for each metric it plans (minutes at national scale).
        out.append(
            Expectation(
                "known_project",
                "ExpectColumnValuesToBeNull",
                {"column": "unknown_project_id"},
                frame="reference",
                description=f"every row's project is in {projects_sql}",
            )
        )
    return out


def reference_frame(table: str, projects_table: str, index: tuple[str, ...]) -> Frame:
    """Each row's project_id where it is not a project of ``projects_table``, else NULL."""
    cols = ", ".join(f"t.{c}" for c in index)
    sql = f"""
        SELECT CASE WHEN p.project_id IS NULL THEN t.project_id END AS unknown_project_id, {cols}
        FROM {table} AS t
        LEFT JOIN (SELECT DISTINCT project_id FROM {projects_table}) AS p ON p.project_id = t.project_id"""
    return Frame("reference", sql, index)


def schema_frame(dataset: Dataset, schema: str, table: str) -> Frame:
    """The table's columns and DuckDB types next to what the contract expects (NULL = missing)."""
    names = ", ".join(f"'{c.name}'" for c in dataset.columns)  # contract constants, not user data
    types = ", ".join(f"'{DUCKDB_TYPES[c.type]}'" for c in dataset.columns)
    sql = f"""
        SELECT e.column_name, e.expected_type, c.data_type AS actual_type
        FROM (SELECT unnest([{names}]) AS column_name, unnest([{types}]) AS expected_type) AS e
        LEFT JOIN information_schema.columns AS c
          ON c.table_schema = '{schema}' AND c.table_name = '{table}' AND c.column_name = e.column_name
        ORDER BY e.column_name"""
    return Frame("schema", sql, ("column_name",))


def raw_suite(dataset: Dataset) -> Suite:
    return Suite(
        name=f"raw.{dataset.name}",
        asset=("raw", dataset.name),
        frames={
            "table": Frame("table", f"SELECT * FROM raw.{dataset.name}", (*dataset.key, *LINEAGE_INDEX)),
            "schema": schema_frame(dataset, "raw", dataset.name),
            "reference": reference_frame(f"raw.{dataset.name}", "raw.projects", (*dataset.key, *LINEAGE_INDEX)),
        },
        expectations=contract_expectations(dataset, "raw.projects"),
        description=f"{dataset.zh} raw.{dataset.name}: the docs/data-contract.md contract of `{dataset.name}`",
    )


# ------------------------------------------------------------------------------ from rules.yaml


def _value_set(spec: Any) -> list:
    """`value_set: {codes: FLAGS}` takes the codes of a scorecard.codes table; a list stays a list."""
    if isinstance(spec, dict) and "codes" in spec:
        return sorted(getattr(codes, spec["codes"]))
    return list(spec)


def _rule(suite: str, spec: dict) -> Expectation:
    gx_name = spec["expectation"]
    if gx_name not in KNOWN_EXPECTATIONS:
        raise ValueError(f"{RULES_FILE.name}: {suite}.{spec.get('name')}: unknown expectation {gx_name!r}")
    severity = spec.get("severity", ERROR)
    if severity not in SEVERITIES:
        raise ValueError(f"{RULES_FILE.name}: {suite}.{spec['name']}: severity must be ERROR or WARN, not {severity!r}")
    kwargs = dict(spec.get("kwargs", {}))
    value_set_sql = None
    if isinstance(kwargs.get("value_set"), dict) and "sql" in kwargs["value_set"]:
        value_set_sql = kwargs["value_set"]["sql"]
        kwargs["value_set"] = []
    elif "value_set" in kwargs:
        kwargs["value_set"] = _value_set(kwargs["value_set"])
    return Expectation(
        spec["name"],
        gx_name,
        kwargs,
        severity=severity,
        frame=spec.get("frame", "table"),
        description=spec.get("description", "").strip(),
        value_set_sql=value_set_sql,
    )


def yaml_suite(name: str, spec: dict) -> Suite:
    asset = spec.get("asset", name)
    asset = tuple(asset) if isinstance(asset, list) else (asset,)
    table = spec.get("table", name)
    schema, _, bare = table.rpartition(".")
    frames: dict[str, Frame] = {}
    expectations: list[Expectation] = []
    index = tuple(spec.get("index", ()))
    contract = DATASETS[spec["contract"]] if "contract" in spec else None
    if contract is not None:
        index = index or (*contract.key, *LINEAGE_INDEX)
        frames["schema"] = schema_frame(contract, schema or "main", bare)
        frames["reference"] = reference_frame(table, "dim_project", index)
        expectations += contract_expectations(contract, "dim_project", values=False)
    where = " WHERE review_year IN (SELECT unnest($review_years))" if spec.get("partitioned") else ""
    frames["table"] = Frame("table", f"SELECT * FROM {table}{where}", index)
    for fname, f in (spec.get("frames") or {}).items():
        frames[fname] = Frame(fname, f["sql"].strip(), tuple(f.get("index", ())), f.get("order_by", ""))
    expectations += [_rule(name, r) for r in spec.get("expectations") or []]
    for e in expectations:
        if e.frame not in frames:
            raise ValueError(f"{RULES_FILE.name}: {name}.{e.name}: unknown frame {e.frame!r}")
    return Suite(
        name,
        asset,
        frames,
        expectations,
        partitioned=bool(spec.get("partitioned")),
        description=spec.get("description", "").strip(),
    )


@cache
def all_suites() -> dict[str, Suite]:
    """Every suite by name: one per raw dataset, then the warehouse and mart suites of rules.yaml."""
    suites = {s.name: s for s in (raw_suite(d) for d in DATASETS.values())}
    rules = load_yaml(RULES_FILE.read_text(encoding="utf-8"))
    for name, spec in rules["suites"].items():
        suites[name] = yaml_suite(name, spec)
    for s in suites.values():
        keys = [e.key for e in s.expectations]
        dupes = {k for k in keys if keys.count(k) > 1}
        if dupes:
            raise ValueError(f"suite {s.name}: rule names must be unique per column: {sorted(dupes)}")
    return suites


def suite(name: str) -> Suite:
    return all_suites()[name]
