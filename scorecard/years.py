"""Review years written by a person: ``2019``, ``2017,2018``, ``2017-2019`` or a mix (one parser for
``scorecard run --years``, ``scorecard user add --years`` and ``bench/run.py --years``)."""

from __future__ import annotations


def parse_years(text: str) -> list[int]:
    """Sorted distinct years of a comma-separated list of years and ``lo-hi`` ranges (spaces ignored).

    Raises ValueError naming the part that is not a year or a range; an empty text gives [].
    """
    years: list[int] = []
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        lo, dash, hi = part.partition("-")
        try:
            years.extend(range(int(lo), int(hi) + 1) if dash else [int(part)])
        except ValueError:
            raise ValueError(f"{part!r} is not a year or a range of years (e.g. 2019 or 2017-2019)") from None
    return sorted(set(years))


def consecutive_blocks(years: list[int]) -> list[tuple[int, int]]:
    """(first, last) of each run of consecutive years: [2017, 2018, 2019, 2021] → [(2017, 2019), (2021, 2021)]."""
    blocks: list[list[int]] = []
    for year in sorted(set(years)):
        if blocks and year == blocks[-1][1] + 1:
            blocks[-1][1] = year
        else:
            blocks.append([year, year])
    return [(first, last) for first, last in blocks]
