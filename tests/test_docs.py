"""The README's references to files of the repository exist (docs, examples, sources)."""
from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")


def _referenced_paths(text: str) -> set[str]:
    """Markdown link targets and `code` spans that name a relative path (a / or a file
    suffix), not URLs, anchors, home-relative or absolute paths, or shell commands."""
    links = re.findall(r"\]\(([^)\s]+)\)", text)
    spans = re.findall(r"`([^`\s]+)`", text)
    found = set()
    for item in links + [s for s in spans if "/" in s or re.search(r"\.(md|py|toml)$", s)]:
        item = item.split("#")[0]
        if not item or re.match(r"^[a-z]+://", item) or item.startswith(("~", "/", "$")):
            continue
        found.add(item)
    return found


def test_the_design_document_is_in_the_repository_and_linked():
    design = REPO / "docs" / "DESIGN.md"
    assert design.is_file() and design.read_text(encoding="utf-8").startswith("# tracer")
    assert "docs/DESIGN.md" in _referenced_paths(README)


def test_every_relative_path_the_readme_names_exists_inside_the_repository():
    paths = _referenced_paths(README)
    assert {"docs/DESIGN.md", "benchmarks/README.md", "tracer/cache"} <= paths
    for name in sorted(paths):
        target = (REPO / name).resolve()
        assert target.is_relative_to(REPO), f"README points outside the repository: {name}"
        assert target.exists(), f"README names {name}, which does not exist"


def test_the_readme_lists_what_traces_as_the_dispatch_tables_say():
    """Regenerate with: python -m tracer.trace.numpy_api.catalog --write README.md"""
    from tracer.trace.numpy_api import catalog

    text = catalog.markdown()
    assert "`searchsorted`" in text and "`np.unique`" in text and "`cholesky`" in text
    assert text in README, "README's 'What traces' is stale: regenerate it (see this docstring)"
