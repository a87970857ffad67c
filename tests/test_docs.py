"""The README stays true: every setting documented, the two commands shown."""

from __future__ import annotations

import os
import re
from pathlib import Path

from qode.config import SETTINGS

ROOT = Path(__file__).resolve().parents[1]


def settings_table(heading: str) -> dict[str, str]:
    """The README's table of settings under `heading` (up to the next heading): name -> default."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split(heading + "\n", 1)[1].split("\n#", 1)[0]
    return dict(re.findall(r"^\| `(QODE_[A-Z_]+)` \| `([^`]*)` \|", section, re.M))


def test_every_setting_is_in_the_readme_table():
    table = settings_table("## Settings")
    assert set(table) == {s.name for s in SETTINGS}
    for setting in SETTINGS:
        assert table[setting.name] == setting.default, setting.name


def test_every_kiosk_setting_is_in_the_readme_table():
    from qode_kiosk.config import SETTINGS as KIOSK_SETTINGS

    table = settings_table("### Kiosk settings")
    assert set(table) == {s.name for s in KIOSK_SETTINGS}
    for setting in KIOSK_SETTINGS:
        assert table[setting.name] == (setting.default or "(none)"), setting.name


def test_readme_shows_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme


def test_ci_runs_make_test():
    assert "make test" in (ROOT / ".ci" / "run").read_text()


# ---- issue 12: docs — the repository stands alone ---------------------------------

SKIP_DIRS = {".git", ".venv", "node_modules", "instance", "test-artifacts", "static", "dist", "build"}
FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.M | re.S)
INLINE_LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_LINK = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$", re.M)
# A path named in the text without a link: it has a folder part and ends in .md (`docs/eta.md`,
# `../shared/DESIGN.md`); a bare `DESIGN.md` names a document, not a place in the tree.
BARE_PATH = re.compile(r"(?<![\w/.:#-])((?:\.{1,2}/|[\w.-]+/)(?:[\w.-]+/)*[\w.-]+\.md)(#[\w-]+)?(?![\w/])")
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)  # http:, https:, mailto:


def markdown_files() -> list[Path]:
    """Every markdown file of the repository (README.md, CHANGELOG.md, docs/, frontend/README.md…)."""
    found = []
    for folder, dirs, files in os.walk(ROOT):  # not rglob: never into .venv or node_modules
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        found += [Path(folder) / name for name in sorted(files) if name.endswith(".md")]
    return found


def github_anchors(text: str) -> set[str]:
    """The anchors GitHub makes for a markdown file's headings (lower case, punctuation dropped,
    spaces to hyphens; a repeated heading gets -1, -2…)."""
    seen: dict[str, int] = {}
    anchors = set()
    for heading in re.findall(r"^#{1,6}[ \t]+(.+?)[ \t#]*$", FENCE.sub("", text), re.M):
        heading = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading: its text
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def link_targets(text: str) -> list[tuple[str, bool]]:
    """(target, is_bare) for every markdown link and bare .md path in `text`, code blocks left out."""
    prose = FENCE.sub("", text)
    targets = [(m, False) for m in INLINE_LINK.findall(prose)]
    targets += [(m, False) for m in REFERENCE_LINK.findall(prose)]
    prose = REFERENCE_LINK.sub("", INLINE_LINK.sub(" ", prose))  # their targets are counted already
    targets += [(path + anchor, True) for path, anchor in BARE_PATH.findall(prose)]
    return targets


def broken_links(doc: Path) -> list[str]:
    """What is wrong with `doc`'s relative links: missing files, missing headings, escapes."""
    problems = []
    root = ROOT.resolve()
    for target, bare in link_targets(doc.read_text()):
        if EXTERNAL.match(target):
            continue
        path, _, anchor = target.partition("#")
        if path.startswith("/"):
            problems.append(f"{target}: an absolute path, not a place in the repository")
            continue
        if not path:  # "#heading" in the same file
            resolved = doc.resolve()
        else:
            # A link is relative to its file; a bare path may also be written from the root.
            candidates = [(doc.parent / path).resolve()] + ([(ROOT / path).resolve()] if bare else [])
            inside = [c for c in candidates if c.is_relative_to(root)]
            if not inside:
                problems.append(f"{target}: points outside the repository")
                continue
            existing = [c for c in inside if c.exists()]
            if not existing:
                problems.append(f"{target}: no such file in the repository")
                continue
            resolved = existing[0]
        if anchor and resolved.suffix == ".md" and anchor not in github_anchors(resolved.read_text()):
            problems.append(f"{target}: no heading '#{anchor}' in {resolved.relative_to(root)}")
    return problems


def test_markdown_links_resolve_inside_the_repository():
    docs = markdown_files()
    assert ROOT / "README.md" in docs and ROOT / "docs" / "architecture.md" in docs
    problems = {str(doc.relative_to(ROOT)): broken_links(doc) for doc in docs}
    assert {name: found for name, found in problems.items() if found} == {}


def test_the_link_check_catches_what_it_must(tmp_path, monkeypatch):
    """The checker itself: a missing file, a missing heading and a way out of the repo all count."""
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# Title\n\n## Close codes\n\ntext\n")
    readme = tmp_path / "README.md"
    readme.write_text(
        "[ok](docs/a.md) [ok](docs/a.md#close-codes) `docs/a.md#title` [web](https://example.org/x.md)\n"
        "```\n[in a code block](nowhere.md)\n```\n"
    )
    assert broken_links(readme) == []
    readme.write_text(
        "[gone](docs/b.md) [no heading](docs/a.md#nothing) see `../shared/DESIGN.md`\n"
        "[out](../outside.md) [abs](/etc/x.md) and docs/c.md\n"
    )
    assert [p.split(":")[0] for p in broken_links(readme)] == [
        "docs/b.md", "docs/a.md#nothing", "../outside.md", "/etc/x.md", "../shared/DESIGN.md", "docs/c.md",
    ]
