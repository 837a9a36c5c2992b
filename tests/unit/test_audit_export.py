"""CSV cells of the audit export (dashboard/audit/export.py), without a database."""

from __future__ import annotations

from dashboard.audit.export import neutralise_formulas


def test_neutralise_formulas_leaves_other_cells_alone():
    import pandas as pd

    frame = pd.DataFrame({"a": ["=1", "ok", "", None, "-x"], "n": [1, -2, 3, 4, 5], "m": [1, "+1", 2, "@", 3]},
                         dtype=object)
    out = neutralise_formulas(frame.fillna(""))
    assert list(out["a"]) == ["'=1", "ok", "", "", "'-x"]
    assert list(out["n"]) == [1, -2, 3, 4, 5], "numbers are not formulas"
    assert list(out["m"]) == [1, "'+1", 2, "'@", 3]
    assert list(frame["a"])[0] == "=1", "the input frame is not modified"
