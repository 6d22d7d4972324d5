import json

from cli.main import main


def test_report_table_and_json_agree(capsys):
    assert main(["report"]) == 0
    table = capsys.readouterr().out
    assert "fez_total" in table and "4,371,000" in table
    assert main(["report", "--format", "json"]) == 0
    rows = {r["target_id"]: r for r in json.loads(capsys.readouterr().out)["rows"]}
    assert f"{rows['fez_total']['measured_m2']:,.0f}" in table
    lines = table.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("target ")) + 2
    for line in lines[start:start + len(rows)]:  # each target's row ends with both its names
        row = rows[line.split()[0]]
        assert line.endswith(f"  {row['name_ko']} · {row['name_en']}")
        assert f"  {row['provenance']}" in line  # and says what it rests on


def test_report_table_says_it_rests_on_schematic_polygons(capsys):
    assert main(["report"]) == 0
    table = capsys.readouterr().out
    assert table.startswith("!! Schematic polygons") and "도식 경계" in table.splitlines()[1]
    assert "schematic (sized)" in table and "1,000,000 평" in table  # the source's own unit


def test_report_on_missing_store_is_a_clear_error(tmp_path, capsys):
    assert main(["report", "--store", str(tmp_path / "nope.gpkg")]) == 2
    assert "no GeoPackage at" in capsys.readouterr().err
