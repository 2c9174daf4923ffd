"""Small-cell suppression for tables of counts of children.

A cell counting fewer than MIN_CELL students (none included) is shown as "<5" (primary suppression). So that
its value cannot be recovered from a published total and the other cells of its row or column, a row or
column holding exactly one suppressed cell loses its next-smallest cell too (complementary suppression),
repeated until no row or column has a lone suppressed cell. Totals are suppressed by the same rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MIN_CELL = 5


@dataclass(frozen=True)
class Cell:
    value: int
    suppressed: bool

    def __str__(self) -> str:
        return f"<{MIN_CELL}" if self.suppressed else str(self.value)

    @property
    def exported(self) -> int | str:
        """What a spreadsheet or the API gets: the count as a number, so that it sums; "<5" stays text."""
        return str(self) if self.suppressed else self.value


def suppress(
    table: Sequence[Sequence[int]], *, row_totals: bool = True, column_totals: bool = True
) -> list[list[Cell]]:
    """Suppress a table of counts (rows x columns). With totals published for the rows (columns), a lone
    suppressed cell in a row (column) takes a complementary cell with it."""
    values = [list(row) for row in table]
    hidden = [[v < MIN_CELL for v in row] for row in values]  # 0 included: "fewer than 5 students"

    def complement(cells: list[tuple[int, int]]) -> bool:
        """If exactly one of these cells is hidden, hide the smallest other non-zero one. True if changed."""
        lone = [(r, c) for r, c in cells if hidden[r][c]]
        if len(lone) != 1:
            return False
        candidates = [(values[r][c], r, c) for r, c in cells if not hidden[r][c]]
        if not candidates:
            return False
        _, r, c = min(candidates)
        hidden[r][c] = True
        return True

    changed = True
    while changed:
        changed = False
        if row_totals:
            for r, row in enumerate(values):
                changed |= complement([(r, c) for c in range(len(row))])
        if column_totals and values:
            for c in range(len(values[0])):
                changed |= complement([(r, c) for r in range(len(values))])
    return [[Cell(v, hidden[r][c]) for c, v in enumerate(row)] for r, row in enumerate(values)]


def total(values: Sequence[int]) -> Cell:
    """A published total: itself suppressed when small."""
    value = sum(values)
    return Cell(value, value < MIN_CELL)


def column_totals(table: Sequence[Sequence[Cell]]) -> list[Cell]:
    """The published total of each column: hidden when small, or when it would give away the column's only
    hidden cell (a one-row table, or a column whose other cells could not be hidden with it)."""
    if not table:
        return []
    totals = []
    for column in zip(*table, strict=True):
        value = sum(c.value for c in column)
        lone = sum(c.suppressed for c in column) == 1
        totals.append(Cell(value, value < MIN_CELL or lone))
    return totals
