"""Aggregates never identify a child: small cells are hidden, and so is what would give them away."""

from hypothesis import given, settings
from hypothesis import strategies as st

from dashboards.suppression import MIN_CELL, suppress, total


def shown(table):
    return [[None if c.suppressed else c.value for c in row] for row in table]


def test_small_cells_and_their_complements_are_hidden():
    # Tier distribution per school (rows) with row and column totals published.
    table = suppress([[120, 3, 40], [80, 30, 2], [60, 25, 9]])
    assert shown(table) == [[120, None, None], [80, None, None], [60, 25, 9]]
    assert str(table[0][1]) == "<5"


def test_a_lone_small_cell_in_a_column_takes_a_partner():
    table = suppress([[50, 6], [40, 7], [30, 2]], row_totals=False)
    assert shown(table) == [[50, None], [40, 7], [30, None]]  # 6 goes with 2, else 2 = column total - 13


def test_totals_of_fewer_than_five_are_hidden():
    assert str(total([1, 2])) == "<5" and str(total([0])) == "<5" and str(total([3, 4])) == "7"


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 40), min_size=2, max_size=5), min_size=2, max_size=6).filter(
        lambda rows: len({len(r) for r in rows}) == 1
    )
)
def test_no_row_or_column_ever_has_a_single_hidden_cell_and_nothing_small_shows(rows):
    table = suppress(rows)
    for row in table:
        assert sum(c.suppressed for c in row) != 1  # a lone hidden cell = row total - the others
        assert all(c.suppressed or c.value >= MIN_CELL for c in row)
    for column in zip(*table, strict=True):
        assert sum(c.suppressed for c in column) != 1
