import json

from cli.main import main


def test_report_table_and_json_agree(capsys):
    assert main(["report"]) == 0
    table = capsys.readouterr().out
    assert "fez_total" in table and "4,371,000" in table
    assert main(["report", "--format", "json"]) == 0
    rows = {r["target_id"]: r for r in json.loads(capsys.readouterr().out)["rows"]}
    assert f"{rows['fez_total']['measured_m2']:,.0f}" in table
    for line in table.splitlines()[2:2 + len(rows)]:  # each target's row ends with both its names
        row = rows[line.split()[0]]
        assert line.endswith(f"  {row['name_ko']} · {row['name_en']}")


def test_report_on_missing_store_is_a_clear_error(tmp_path, capsys):
    assert main(["report", "--store", str(tmp_path / "nope.gpkg")]) == 2
    assert "no GeoPackage at" in capsys.readouterr().err
