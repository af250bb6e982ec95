"""The one spreadsheet guard, used by every CSV the platform writes: open data and the program overview."""

import csv
import io
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reports.spreadsheet import spreadsheet_safe
from tests.builders import commit
from tests.factories import OrganisationFactory

FORMULA_STARTS = ["=", "+", "-", "@", "\t", "\r"]
NEGATIVE_NUMBER = re.compile(r"-[0-9]+(\.[0-9]+)?")


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://evil.test")', '\'=HYPERLINK("http://evil.test")'),
        ("+1", "'+1"),
        ("-3+A1", "'-3+A1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("-1e5", "'-1e5"),
        ("-٣", "'-٣"),
        ("-3\n", "'-3\n"),
        ("-", "'-"),
        ("-3", "-3"),
        ("-0.5", "-0.5"),
        ("12", "12"),
        ("Plain text", "Plain text"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (True, "yes"),
        (False, "no"),
        (-3, "-3"),
    ],
)
def test_formula_starts_get_an_apostrophe_and_plain_numbers_stay_numbers(value, cell):
    assert spreadsheet_safe(value) == cell


@given(st.text())
def test_no_cell_can_start_a_formula_and_nothing_else_changes(text):
    cell = spreadsheet_safe(text)

    assert cell in (text, "'" + text)
    if cell.startswith(tuple(FORMULA_STARTS)):
        assert NEGATIVE_NUMBER.fullmatch(cell)  # only a plain number keeps its minus sign in front
    if not text.startswith(tuple(FORMULA_STARTS)):
        assert cell == text


@given(st.sampled_from(FORMULA_STARTS), st.text())
def test_a_formula_survives_a_round_trip_through_csv_as_quoted_text(start, rest):
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerow([spreadsheet_safe(start + rest)])

    (read,) = list(csv.reader(io.StringIO(buffer.getvalue(), newline="")))
    assert read == [spreadsheet_safe(start + rest)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "cell"),
    [("-3", "-3"), ("-3+A1", "'-3+A1"), ("@SUM(A1)", "'@SUM(A1)"), ("\tTabbed", "'\tTabbed")],
)
def test_the_program_overview_csv_applies_the_same_rule_as_open_data(
    client, framework, period, reviewer, name, cell
):
    from django.urls import reverse

    commit(OrganisationFactory(name=name, slug="odd-name"), framework)
    client.force_login(reviewer)

    response = client.get(reverse("reports:overview_csv"))

    _header, row = list(csv.reader(io.StringIO(response.content.decode())))
    assert row[0] == cell == spreadsheet_safe(name)
