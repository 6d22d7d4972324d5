"""Every shell example of the README runs as shown, from the checkout root, against a real server.

How the README's code blocks are read (keep to this when adding an example):

- Blocks fenced ```sh, ```bash or ```console are run; any other fence is not. In ```sh and
  ```bash every line is a command: a trailing backslash, or a quote still open, continues it on the
  next line; lines holding only a comment are skipped. In ```console, a line starting with `$ ` is a
  command and the lines after it are what it prints: each shown line must appear, in that order,
  in its real output (trailing blanks ignored); a line `...` stands for any lines left out.
- A line running `make serve` is the server, not run as a command: the test starts one uvicorn
  (what `make serve` runs) before all examples, on a free loopback port, with every `export VAR=…`
  written on such a line in its environment (so the examples that need a write token get the
  README's token) and ZONES_STORE pointing at a temporary copy of the default store.
  `http://127.0.0.1:8000` in the examples is rewritten to that server.
- `make test` is not run: it is the suite this test belongs to. The other `make` targets run in
  their ordinary form; `make bench` (minutes) and `make lint` (downloads ruff) appear only in the
  table of targets, never in a block, and `--png` (headless Chromium, tested by the map tests)
  only in prose.
- Every `curl` gets `--fail-with-body --silent --show-error`, so an HTTP error status fails it.
- The examples run one after another as a reader types them, each in `bash -e` with the variables
  the earlier ones exported, in a scratch folder that mirrors the checkout (its entries linked,
  `.venv/bin` the scripts folder of the Python running the tests), so what they write (out/maps,
  import reports) stays out of the checkout. `/tmp/` in a command is rewritten into the scratch
  folder. ZONES_STORE starts as a scratch copy of the embedded store, and that copy must be
  unchanged at the end: no example may write the embedded store of a reader who followed them.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.local_server import running_uvicorn
from cli.main import main as kizone
from geodata import DEFAULT_STORE

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SAMPLES = ROOT / "geodata" / "samples"
RUN = ("sh", "bash", "console")
README_URL = "http://127.0.0.1:8000"
NOT_LINKED = {".git", ".venv", "out", ".pytest_cache"}
COMMAND_TIMEOUT_S = 180


@dataclass
class Example:
    line: int  # README line where the command starts
    command: str
    expected: list[str] = field(default_factory=list)  # ```console output, "..." for any lines


def readme_examples(text: str) -> list[Example]:
    """The commands of the README's sh/bash/console blocks, in reading order."""
    examples: list[Example] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        fence = re.fullmatch(r"```(\w*)\s*", lines[i])
        if not fence:
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
        if fence.group(1) in ("sh", "bash"):
            examples += _sh_commands(lines[i + 1:end], i + 2)
        elif fence.group(1) == "console":
            examples += _console_commands(lines[i + 1:end], i + 2)
        i = end + 1
    return examples


def _sh_commands(block: list[str], first_line: int) -> list[Example]:
    out, buf, start = [], "", 0
    for n, line in enumerate(block, start=first_line):
        if not buf and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if not buf:
            start = n
        buf = f"{buf}\n{line}" if buf else line
        if buf.endswith("\\") or not _complete(buf):
            continue
        out.append(Example(start, buf))
        buf = ""
    assert not buf, f"README line {start}: the command never ends (open quote or trailing backslash)"
    return out


def _complete(command: str) -> bool:
    try:
        shlex.split(command, comments=True)
    except ValueError:  # a quote still open: the command goes on on the next line
        return False
    return True


def _console_commands(block: list[str], first_line: int) -> list[Example]:
    out: list[Example] = []
    for n, line in enumerate(block, start=first_line):
        if line.startswith("$ "):
            out.append(Example(n, line[2:]))
        else:
            assert out, f"README line {n}: output before the first `$ ` command"
            out[-1].expected.append(line.rstrip())
    return out


def is_server(command: str) -> bool:
    return re.search(r"(^|[;&]\s*)make serve(?![\w-])", command) is not None


def server_env(examples: list[Example]) -> dict[str, str]:
    """The variables exported on the README's `make serve` lines."""
    env: dict[str, str] = {}
    for ex in examples:
        if is_server(ex.command):
            for part in ex.command.split(";"):
                words = shlex.split(part, comments=True)
                if words[:1] == ["export"]:
                    env.update(w.split("=", 1) for w in words[1:])
    return env


def shown_lines_missing(expected: list[str], actual: str) -> list[str]:
    """The shown output lines not found, in order, in the real output ("..." skips any lines)."""
    real = [line.rstrip() for line in actual.splitlines()]
    missing, at, gap = [], 0, False
    for want in expected:
        if want == "...":
            gap = True
            continue
        found = next((k for k in range(at, len(real)) if real[k] == want), None) if gap else (
            at if at < len(real) and real[at] == want else None)
        if found is None:
            missing.append(want)
        else:
            at, gap = found + 1, False
    return missing


def rewrite(command: str, url: str, scratch: Path) -> str:
    command = command.replace(README_URL, url)
    command = re.sub(r"(?<=[\s=])/tmp/", f"{scratch}/tmp/", command)
    return re.sub(r"(^|[;&|]\s*)curl\s", r"\1curl --fail-with-body --silent --show-error ", command, flags=re.M)


def mirror_checkout(scratch: Path) -> None:
    """A folder that looks like the checkout to the examples: entries linked, `.venv` our Python's."""
    for entry in ROOT.iterdir():
        if entry.name not in NOT_LINKED and not entry.name.startswith("import-report-"):
            (scratch / entry.name).symlink_to(entry)
    venv = scratch / ".venv"
    venv.mkdir()
    scripts = Path(sysconfig.get_path("scripts"))
    assert (scripts / "kizone").exists(), f"no kizone in {scripts}: install the package first (make install)"
    (venv / "bin").symlink_to(scripts)
    (venv / ".installed").touch()  # make's install stamp: the package is installed, make must not reinstall
    (scratch / "tmp").mkdir()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_example(ex: Example, env: dict[str, str], url: str, scratch: Path) -> tuple[subprocess.CompletedProcess, dict]:
    env_file = scratch / ".example-env"
    script = f"set -e -o pipefail\n{rewrite(ex.command, url, scratch)}\nenv -0 > {shlex.quote(str(env_file))}\n"
    done = subprocess.run(["bash", "-c", script], cwd=scratch, env=env, capture_output=True, text=True,
                          timeout=COMMAND_TIMEOUT_S)
    if done.returncode == 0:
        env = dict(item.split("=", 1) for item in env_file.read_text().split("\0") if "=" in item)
    return done, env


def test_every_readme_example_runs_as_shown(tmp_path):
    missing = [program for program in ("bash", "make", "curl") if shutil.which(program) is None]
    if missing:
        pytest.skip(f"the README's examples need {', '.join(missing)} (apt-get install {' '.join(missing)})")
    examples = readme_examples(README.read_text(encoding="utf-8"))
    scratch = tmp_path / "checkout"
    scratch.mkdir()
    mirror_checkout(scratch)
    reader_store = scratch / "embedded-store-copy.gpkg"
    shutil.copyfile(DEFAULT_STORE, reader_store)
    server_store = tmp_path / "server-store.gpkg"
    shutil.copyfile(DEFAULT_STORE, server_store)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZONES_", "MAKE", "MFLAGS"))}
    env["ZONES_STORE"] = str(reader_store)
    ran = []
    with running_uvicorn(env={**env, **server_env(examples), "ZONES_STORE": str(server_store)}) as url:
        for ex in examples:
            if is_server(ex.command) or re.match(r"make test\b", ex.command):
                continue
            done, env = run_example(ex, env, url, scratch)
            where = f"README line {ex.line}: {ex.command}"
            assert done.returncode == 0, (f"{where}\nexit {done.returncode}\n--- stdout\n{done.stdout[-3000:]}"
                                          f"\n--- stderr\n{done.stderr[-3000:]}")
            missing = shown_lines_missing(ex.expected, done.stdout)
            assert not missing, f"{where}\nthe README shows lines it does not print:\n" + "\n".join(missing) + (
                f"\n--- real output\n{done.stdout[-3000:]}")
            ran.append(ex.command)
    assert sha256(reader_store) == sha256(DEFAULT_STORE), "an example wrote the store before the README set ZONES_STORE"
    # The extractor must have found the examples of every section, or this test checks nothing.
    for needle in ("make report", "curl", "/allocations/check", "make import", "kizone restore", "make map",
                   "kizone siting check", "Authorization: Bearer", "kizone shares"):
        assert any(needle in c for c in ran), f"no README example with {needle!r} was run"


# -- the extractor and the output matcher, on small README texts ------------------------------------------------------

def test_blocks_are_split_into_commands_as_bash_reads_them():
    text = ("```sh\nmake serve   # a comment\n# only a comment\ncurl -X POST \\\n     http://x/y\n"
            "curl -d '{\n  \"a\": 1}'\n```\n\n```\nnot run\n```\n"
            "```console\n$ make report\nline 1\n...\nlast\n```\n```python\nprint()\n```\n")
    examples = readme_examples(text)
    assert [e.command for e in examples] == ["make serve   # a comment", "curl -X POST \\\n     http://x/y",
                                             "curl -d '{\n  \"a\": 1}'", "make report"]
    assert [e.line for e in examples] == [2, 4, 6, 14]
    assert examples[-1].expected == ["line 1", "...", "last"]


def test_shown_output_must_be_the_real_output():
    real = "head\nrow 1\nrow 2\nrow 3\n\ntotal  \n"
    assert shown_lines_missing(["head", "row 1", "...", "total"], real) == []
    assert shown_lines_missing(["head", "...", "row 3", "", "total"], real) == []
    assert shown_lines_missing(["head", "row 2"], real) == ["row 2"]  # no "...": the next line must follow
    assert shown_lines_missing(["head", "name"], real) == ["name"]


def test_server_lines_give_the_server_its_variables():
    examples = readme_examples("```sh\nmake serve\nexport ZONES_WRITE_TOKENS=a:b; make serve   # note\n```\n")
    assert all(is_server(e.command) for e in examples)
    assert server_env(examples) == {"ZONES_WRITE_TOKENS": "a:b"}
    assert not is_server("make serve-docs") and not is_server("curl http://x/make serve")


def test_rewrite_points_examples_at_the_test_server_and_scratch_folder(tmp_path):
    cmd = "cp a /tmp/zones.gpkg; export ZONES_STORE=/tmp/zones.gpkg; curl http://127.0.0.1:8000/plan"
    out = rewrite(cmd, "http://127.0.0.1:5555", tmp_path)
    assert out == (f"cp a {tmp_path}/tmp/zones.gpkg; export ZONES_STORE={tmp_path}/tmp/zones.gpkg; "
                   "curl --fail-with-body --silent --show-error http://127.0.0.1:5555/plan")


# -- the sample files do what the README says they do ---------------------------------------------------------------

@pytest.fixture(scope="module")
def client():
    from api.app import create_app

    return TestClient(create_app())


def _post(client, path: str, sample: str):
    return client.post(path, content=(SAMPLES / sample).read_bytes(), headers={"Content-Type": "application/geo+json"})


def test_draft_samples_pass_and_miss_their_target(client):
    ok = {r["target_id"]: r for r in _post(client, "/allocations/check", "draft_fez_ai.geojson").json()["rows"]}
    assert ok["fez_ai"]["drafted"] and ok["fez_ai"]["status"] == "ok" and ok["fez_total"]["status"] == "ok"
    big = {r["target_id"]: r for r in _post(client, "/allocations/check", "draft_fez_ai_too_big.geojson").json()["rows"]}
    assert big["fez_ai"]["status"] == "over" and big["fez_total"]["status"] == "over"


def test_site_sample_passes_every_rule_of_its_facility(client):
    resp = _post(client, "/siting/check", "site_certification_center.geojson")
    assert resp.status_code == 200, resp.text
    [check] = resp.json()
    assert check["facility"] == "certification_center" and check["passed"], check


def test_bessel_samples_import_strictly_with_their_crs_and_encoding(tmp_path, capsys):
    store = tmp_path / "store.gpkg"
    shutil.copyfile(DEFAULT_STORE, store)
    report = tmp_path / "report.json"
    assert kizone(["import", str(SAMPLES / "parcels_5174.zip"), "--layer", "parcels", "--strict",
                   "--store", str(store), "--report", str(report)]) == 0
    doc = json.loads(report.read_text(encoding="utf-8"))
    assert "EPSG:5174" in json.dumps(doc["crs"]) and "TM_Middle_Bessel" in capsys.readouterr().out
    assert kizone(["import", str(SAMPLES / "fez_districts_5174.shp"), "--layer", "fez_districts", "--strict",
                   "--crs", "EPSG:5174", "--encoding", "cp949", "--store", str(store), "--report", str(report)]) == 0
    # Without --encoding the cp949 attributes are refused, not stored as mojibake.
    assert kizone(["import", str(SAMPLES / "fez_districts_5174.shp"), "--layer", "fez_districts", "--crs", "EPSG:5174",
                   "--store", str(store), "--report", str(report)]) == 2
    assert "--encoding cp949" in capsys.readouterr().err


def test_samples_are_what_the_script_writes(tmp_path):
    out = tmp_path / "samples"
    subprocess.run([sys.executable, str(SAMPLES / "make_samples.py"), "--out", str(out)],
                   check=True, capture_output=True, cwd=ROOT)
    written = sorted(p.name for p in out.iterdir())
    committed = sorted(p.name for p in SAMPLES.iterdir() if p.suffix != ".py" and p.name != "README.md")
    assert written == committed
    changed = [name for name in written if (out / name).read_bytes() != (SAMPLES / name).read_bytes()]
    assert not changed, f"regenerate with geodata/samples/make_samples.py: {changed} differ from its output"


# -- a file the user names that is not there -------------------------------------------------------------------------

@pytest.mark.parametrize("argv", [
    ["siting", "check", "no-such-site.geojson", "--facility", "certification_center"],
    ["import", "no-such-survey.zip", "--layer", "parcels"],
])
def test_a_missing_input_file_is_one_line_naming_it(argv, capsys):
    assert kizone(argv) == 2
    err = capsys.readouterr().err
    assert err == f"kizone: error: {argv[2] if argv[0] == 'siting' else argv[1]}: no such file\n"
