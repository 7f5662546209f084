"""Language and number formatting for the report (docs/report.md "Language").

``lang`` is ``zh+en`` (Chinese first, English alongside: headings ``中文 / English``), ``zh`` or
``en``. Dates and money are written the Chinese way (``2019年12月31日``, ``1,234.56 万元``) in the
Chinese and bilingual reports, and the English way in the English one.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from scorecard import codes

LANGS = ("zh+en", "zh", "en")
CJK = re.compile(r"[\u3400-\u9fff]")

CHINESE_NUMERALS = "一二三四五六七八九十"


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"report language must be one of {', '.join(LANGS)}, not {lang!r}")
    return lang


@dataclass(frozen=True)
class I18n:
    lang: str

    @property
    def zh(self) -> bool:
        return self.lang in ("zh", "zh+en")

    @property
    def en(self) -> bool:
        return self.lang in ("en", "zh+en")

    def t(self, zh: str, en: str, sep: str = " / ") -> str:
        """A heading or label: ``中文 / English``, or one language."""
        if self.lang == "zh":
            return zh
        if self.lang == "en":
            return en
        return f"{zh}{sep}{en}"

    def paras(self, zh: str, en: str) -> list[tuple[str, str]]:
        """Body text: a list of (css class, text) paragraphs in the chosen languages."""
        out = []
        if self.zh:
            out.append(("zh", zh))
        if self.en:
            out.append(("en", en))
        return out

    def label(self, table: dict, code: str | None) -> str:
        """The label of a code from a ``scorecard.codes`` table (code itself if unknown)."""
        return self._code(table, code, lambda entry: self.t(entry[0], entry[1]))

    def one(self, table: dict, code: str | None) -> str:
        """Label in one language (Chinese unless the report is English): for table cells."""
        return self._code(table, code, lambda entry: entry[1] if self.lang == "en" else entry[0])

    @staticmethod
    def _code(table: dict, code: str | None, say) -> str:
        """``say(entry)`` for a known code, the code itself for an unknown one, "—" for none."""
        if code is None:
            return "—"
        entry = table.get(code)
        return say(entry) if entry else str(code)

    # --- numbers -------------------------------------------------------------------------------
    def money(self, value: float | None, unit: bool = True) -> str:
        if value is None:
            return "—"
        text = f"{value:,.2f}"
        if not unit:
            return text
        return f"{text} 万元" if self.zh else f"{text} (10k CNY)"

    def yi(self, value_wan: float | None) -> str:
        """亿元 for large sums (1 亿 = 10,000 万)."""
        if value_wan is None:
            return "—"
        return f"{value_wan / 10000:,.2f} 亿元" if self.zh else f"{value_wan / 100:,.2f} million CNY"

    def date(self, value: dt.date | str | None) -> str:
        if value is None:
            return "—"
        if isinstance(value, str):
            value = dt.date.fromisoformat(value[:10])
        if self.zh:
            return f"{value.year}年{value.month}月{value.day}日"
        return f"{value.day} {value.strftime('%B')} {value.year}"

    def year(self, y: int) -> str:
        return f"{y}年" if self.zh else str(y)


def fmt_num(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def fmt_int(value: int | float | None) -> str:
    if value is None:
        return "—"
    return f"{int(value):,}"


def fmt_pct(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    return f"{value * 100:.{digits}f}%"


def fmt_delta(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{value:+,.{digits}f}"


def section_no(i: int) -> str:
    """一、二、… for the MoF outline's first-level headings."""
    return CHINESE_NUMERALS[i - 1] if i <= 10 else str(i)


LABELS = {
    "field": codes.FIELDS,
    "plan": codes.PLANS,
    "department": codes.ALL_DEPARTMENTS,
    "support_mode": codes.SUPPORT_MODES,
    "grade": codes.GRADES,
    "recommendation": codes.RECOMMENDATIONS,
    "flag": codes.FLAGS,
    "indicator": {k: (v[0], v[1]) for k, v in codes.INDICATORS.items()},
    "signal": codes.SIGNALS,
}

DIMENSIONS = {
    "field": ("领域", "Field"),
    "plan": ("扶持计划", "Support plan"),
    "department": ("主管单位", "Department"),
    "support_mode": ("资助方式", "Support mode"),
}
