"""The repository stands alone: nothing it tracks reads or cites material outside it, and the standards the
tests validate against ship inside it, each folder with its provenance and licence.

A clone has nothing beside it, so a path that climbs out of the repository (or points at one machine's
folders) works on that machine only; and the team's working notes are not a published source.
"""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
STANDARDS = REPO / "tests" / "standards"

# Built from pieces so that this file does not contain what it looks for.
FORBIDDEN = (
    ".." + "/" + "shared",  # a sibling folder of the clone
    "/" + "work" + "/" + "shared",  # one machine's absolute path
    "docs" + "/" + "cases" + ".md",  # the team's notes, not a published source
)


def tracked_files() -> list[Path]:
    result = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=False)
    assert result.returncode == 0, f"git ls-files failed: {result.stderr.decode(errors='replace')}"
    names = [n for n in result.stdout.decode("utf-8").split("\0") if n]
    assert len(names) > 100, f"only {len(names)} tracked files: not the project's checkout?"
    return [REPO / n for n in names]


def text_of(path: Path) -> str | None:
    """The file's text, or None for a binary file (NUL bytes or not UTF-8) or one not in the work tree."""
    try:
        data = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        return None
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def forbidden_in(text: str) -> list[tuple[int, str, str]]:
    """(line number, needle, line) for every forbidden reference in `text`."""
    return [(lineno, needle, line.strip()) for lineno, line in enumerate(text.splitlines(), 1)
            for needle in FORBIDDEN if needle in line]


def test_no_tracked_file_points_outside_the_repository():
    hits = []
    read = 0
    for path in tracked_files():
        text = text_of(path)
        if text is None:
            continue
        read += 1
        hits += [f"{path.relative_to(REPO)}:{n}: {needle!r} in {line[:120]!r}" for n, needle, line in forbidden_in(text)]
    assert read > 100, f"only {read} text files read"
    assert not hits, "tracked files refer outside the repository:\n" + "\n".join(hits)


@pytest.mark.parametrize("line", [
    'SCHEMA_DIR = REPO.parent / "x"  # ' + ".." + "/shared/standards/hsds-3.0",
    '"source": "' + "../" + 'shared/docs/x (handbook tables)"',
    "cp -r /" + "work/shared/standards .",
    "species mix after docs/" + "cases" + ".md case 1",
])
def test_the_guard_catches_each_kind_of_reference(line):
    assert forbidden_in(f"first line\n{line}\nlast line") == [(2, next(n for n in FORBIDDEN if n in line), line)]
    assert forbidden_in("shared/standards and the handbook, Table 3") == []


@pytest.mark.parametrize(("folder", "licence_words", "provenance_words"), [
    ("hsds-3.0", ["CC BY-SA 4.0"], ["openreferral/specification", "v3.0", "unmodified"]),
    ("open311-georeport-v2", ["licence"], ["https://wiki.open311.org/GeoReport_v2", "own work"]),
])
def test_standards_ship_with_provenance_and_licence(folder, licence_words, provenance_words):
    root = STANDARDS / folder
    assert root.is_dir(), f"{root} is missing: the standards are part of the repository"
    readme = root / "README.md"
    assert readme.is_file(), f"{folder} has no README.md giving its provenance"
    text = readme.read_text(encoding="utf-8")
    for words in licence_words + provenance_words:
        assert words in text, f"{folder}/README.md does not say {words!r}"
    if folder == "hsds-3.0":
        licence = (root / "LICENSE").read_text(encoding="utf-8")
        assert "Creative Commons Attribution-ShareAlike 4.0" in licence

    schemas = sorted(root.rglob("*.json"))
    assert len(schemas) >= 8, f"only {len(schemas)} JSON files in {folder}"
    for path in schemas:
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except ValueError as e:  # pragma: no cover - the message is the point
            pytest.fail(f"{path.relative_to(REPO)} does not parse: {e}")
        # A README (and, for a vendored copy, its LICENSE) beside the file or in the folder it belongs to.
        folders = [p for p in [path.parent, *path.parent.parents] if p == root or root in p.parents]
        assert any((p / "README.md").is_file() for p in folders), f"{path.relative_to(REPO)}: no README.md"
        if folder == "hsds-3.0":
            assert any((p / "LICENSE").is_file() for p in folders), f"{path.relative_to(REPO)}: no LICENSE"


def test_every_standards_folder_is_known():
    # A new folder must come with the same checks (add it to the parametrization above).
    assert sorted(p.name for p in STANDARDS.iterdir() if p.is_dir()) == ["hsds-3.0", "open311-georeport-v2"]
