"""`kizone revisions`: an unknown layer is an error, and each row says what it did once."""
from __future__ import annotations

from cli.main import main
from tests.write_helpers import store_copy


def test_revisions_of_an_unknown_layer_fail_naming_the_known_ones(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ZONES_STORE", str(store_copy(tmp_path)))
    for fmt in ("table", "json"):
        assert main(["revisions", "--layer", "nope", "--format", fmt]) == 2
        err = capsys.readouterr().err
        assert "no layer 'nope' in the store" in err and "fez_districts" in err
    assert main(["revisions", "--layer", "fez_districts"]) == 0  # known, never written: not an error
    assert "no recorded revisions" in capsys.readouterr().out


def test_revision_rows_name_action_source_and_note_once(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ZONES_STORE", str(store_copy(tmp_path)))
    survey = tmp_path / "fez_survey.geojson"  # the layer's own features: the ids the plan reads stay
    assert main(["export", "--layer", "fez_districts", "--out", str(survey)]) == 0
    assert main(["import", str(survey), "--layer", "fez_districts", "--strict",
                 "--report", str(tmp_path / "r.json")]) == 0
    assert main(["restore", "--layer", "fez_districts", "--revision", "0"]) == 0
    capsys.readouterr()
    assert main(["revisions", "--layer", "fez_districts"]) == 0
    rows = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()[1:4]}
    assert rows["0"].endswith("baseline (content before the first recorded write)")
    assert rows["1"].endswith(f"import {survey.name} (strict)")
    assert rows["2"].endswith("restore of revision 0")
    assert rows["2"].count("revision 0") == 1 and rows["2"].count("restore") == 1
