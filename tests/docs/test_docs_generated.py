"""The documentation cannot drift from the code: generated tables, links between pages, a strict build."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

_FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"`+[^`\n]*`+")
_LINK = re.compile(r"\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


def _pages() -> list[Path]:
    return sorted(DOCS.glob("*.md"))


def _relative_links(page: Path) -> list[str]:
    text = _CODE_SPAN.sub("", _FENCE.sub("", page.read_text(encoding="utf-8")))
    links = []
    for target in _LINK.findall(text):
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target) or target.startswith("#"):
            continue  # http(s), mailto and in-page anchors
        links.append(target)
    return links


def test_generated_docs_are_up_to_date() -> None:
    result = subprocess.run(
        [sys.executable, str(DOCS / "gen_docs.py"), "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, (
        "Generated docs are stale: run `python docs/gen_docs.py` and commit the result.\n"
        f"{result.stdout}{result.stderr}"
    )


def test_relative_links_between_pages_resolve() -> None:
    broken = []
    for page in _pages():
        for target in _relative_links(page):
            path = target.split("#", 1)[0]
            if not path:
                continue
            if not (page.parent / path).resolve().is_file():
                broken.append(f"docs/{page.name} -> {target}")
    assert not broken, "Broken links between docs pages:\n" + "\n".join(broken)


def test_every_page_is_in_the_nav() -> None:
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    nav = config.split("\nnav:", 1)[1] if "\nnav:" in config else ""
    listed = set(re.findall(r":\s*([\w./-]+\.md)\s*$", nav, re.MULTILINE))
    missing = [p.name for p in _pages() if p.name not in listed]
    assert not missing, f"Pages missing from the nav in mkdocs.yml: {missing}"
    absent = sorted(name for name in listed if not (DOCS / name).is_file())
    assert not absent, f"The nav in mkdocs.yml lists pages that do not exist: {absent}"


def test_mkdocs_build_is_strict_clean(tmp_path: Path) -> None:
    try:
        import mkdocs  # noqa: F401
    except ImportError:
        pytest.fail(
            "mkdocs is not installed, so the documentation build cannot be checked. Install the docs "
            'extra: pip install -e ".[test,docs]"'
        )
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stdout}{result.stderr}"
