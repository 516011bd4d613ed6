"""Tables for spreadsheets: text a spreadsheet would run as a formula is quoted, numbers are not."""

import pandas as pd

from allocator.export import safe_cells, unquote_cells


def test_formulas_are_quoted_and_negative_numbers_kept():
    frame = pd.DataFrame({"name": ["=SUM(A1)", "-3", "+x", "Delft", None], "value": [1.0, -2.0, 3.0, 4.0, 5.0]})
    safe = safe_cells(frame)
    assert safe["name"].tolist()[:4] == ["'=SUM(A1)", "-3", "'+x", "Delft"]
    assert safe["value"].tolist() == frame["value"].tolist()
    assert unquote_cells(safe)["name"].tolist()[:4] == ["=SUM(A1)", "-3", "+x", "Delft"]


def test_a_column_of_negative_numbers_as_text_is_left_alone():
    frame = pd.DataFrame({"code": ["-1", "-2.5"]})
    assert safe_cells(frame)["code"].tolist() == ["-1", "-2.5"]


def test_repeated_text_is_quoted_at_every_row():
    frame = pd.DataFrame({"name": ["=x", "Delft", None, "=x", "Delft", "@a", "-4"]})
    safe = safe_cells(frame)["name"].tolist()
    assert safe[:2] == ["'=x", "Delft"] and pd.isna(safe[2]) and safe[3:] == ["'=x", "Delft", "'@a", "-4"]


def test_csv_text_written_is_what_pandas_writes_to_the_file(tmp_path):
    """``write_csv`` (its text rendered first, or not) makes the bytes pandas writes itself: the dialect's separator,
    decimal mark and encoding (the Dutch one with its byte-order mark)."""
    from allocator.export import DIALECTS, csv_text, safe_cells, write_csv

    frame = pd.DataFrame({"name": ["Súdwest-Fryslân", "=1+1", "'s-Hertogenbosch"], "value": [1.5, -2.25, 1e-7],
                          "count": [1, 2, 3]})
    for dialect in DIALECTS:
        safe_cells(frame).to_csv(tmp_path / f"pandas-{dialect}.csv", index=False, **DIALECTS[dialect])
        write_csv(frame, tmp_path / f"ours-{dialect}.csv", dialect)
        write_csv(frame, tmp_path / f"rendered-{dialect}.csv", dialect, text=csv_text(frame, dialect))
        expected = (tmp_path / f"pandas-{dialect}.csv").read_bytes()
        assert (tmp_path / f"ours-{dialect}.csv").read_bytes() == expected
        assert (tmp_path / f"rendered-{dialect}.csv").read_bytes() == expected
    assert (tmp_path / "ours-nl.csv").read_bytes().startswith(b"\xef\xbb\xbf")
