"""Aggregates never identify a child: small cells are hidden, and so is what would give them away."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboards.suppression import MIN_CELL, Cell, column_totals, suppress, total


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
    assert str(total([4])) == "<5" and str(total([5])) == "5"  # the boundary: five students are shown


def test_five_is_shown_and_four_is_not():
    assert shown(suppress([[5, 4, 0, 6]], row_totals=False, column_totals=False)) == [[5, None, None, 6]]
    assert shown(suppress([[5, 5], [5, 5]])) == [[5, 5], [5, 5]]


def test_without_column_totals_columns_take_no_partner():
    rows = [[50, 6], [40, 7], [30, 2]]
    assert shown(suppress(rows, column_totals=False)) == [[50, 6], [40, 7], [None, None]]  # the row's total only
    assert shown(suppress(rows, row_totals=False, column_totals=False)) == [[50, 6], [40, 7], [30, None]]


def test_a_single_column_or_an_empty_table_ends():
    """A lone hidden cell with no other cell to hide: nothing more can be done, and the loop must still end."""
    assert shown(suppress([[3], [40]])) == [[None], [None]]
    assert shown(suppress([[3]])) == [[None]] and suppress([]) == []


def test_column_totals_hide_small_ones_and_those_that_give_a_lone_cell_away():
    one_row = suppress([[40, 3, 12]], column_totals=False)
    assert [str(c) for c in column_totals(one_row)] == ["40", "<5", "<5"]  # 12 went with 3 in the row
    table = suppress([[40, 9], [2, 8]])
    assert [str(c) for c in column_totals(table)] == ["42", "17"]
    assert [str(c) for c in column_totals([[Cell(3, True)], [Cell(1, False)]])] == ["<5"]
    assert column_totals([]) == []
    assert [str(c) for c in column_totals([[Cell(5, False)], [Cell(0, False)]])] == ["5"]  # five is shown


def test_a_ragged_table_is_a_programming_error():
    with pytest.raises(ValueError):
        column_totals([[Cell(9, False), Cell(9, False)], [Cell(9, False)]])


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
