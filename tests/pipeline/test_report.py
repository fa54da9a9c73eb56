"""``newsingest report`` on real runs: content, self-containment and escaping."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from newsingest.pipeline.cli import main
from tests.helpers import articles, by_name, run_cli


def _report(*args: str) -> int:
    return main(["report", *args])


def _cluster_blocks(html: str) -> list[str]:
    starts = [m.start() for m in re.finditer(r'<div class="cluster" id="cluster-\d+"', html)]
    end = html.index('<section id="quarantine"')
    return [html[a:b] for a, b in zip(starts, [*starts[1:], end], strict=True)]


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory) -> Path:
    from tests.conftest import SAMPLE_DIR

    out = tmp_path_factory.mktemp("report") / "out"
    assert run_cli("--input", str(SAMPLE_DIR), "--output", str(out), "--run-id", "r1") == 0
    return out


def test_report_of_the_sample_run(sample_run, tmp_path, capsys):
    target = tmp_path / "report.html"
    assert _report(str(sample_run), "--out", str(target)) == 0
    assert f"wrote {target} (run r1)" in capsys.readouterr().out
    html = target.read_text(encoding="utf-8")

    # Summary: counts, accounting, per-method and per-reason numbers.
    assert "newsingest · Run r1" in html
    assert "read 12 = kept 7 + duplicates 3 + quarantined 2" in html and "balanced" in html
    assert "Rows found in the dataset match the manifest" in html
    assert "dedup.near_threshold" in html and "pipeline" in html  # settings, timings
    for method in ("exact", "near", "story"):
        assert f'<td>{method}</td><td class="n">1</td>' in html  # duplicates by method

    # Charts are inline SVG; the page references nothing outside itself.
    assert html.count("<svg") == 3
    assert "2024-03-27" in html and "no date" in html
    assert not re.search(r"https?://|<script|<link|@import|url\(", html)

    # The danube story: kept original and both duplicates in one cluster block.
    kept = by_name(articles(sample_run))
    original = kept["danube-port-original.txt"]
    blocks = _cluster_blocks(html)
    assert len(blocks) == 2
    [danube] = [b for b in blocks if original["article_id"] in b]
    assert danube.startswith(
        f'<div class="cluster" id="cluster-1" data-canonical="{original["article_id"]}"'
    )
    assert "VIENNA (Wire) - Austrian authorities closed the Danube grain terminal" in danube
    assert "danube-port-syndicated.txt.gz" in danube and "exact 1.000" in danube
    assert (
        "danube-port-rewrite.txt" in danube
        and "Floodwater shuts Danube grain hub at Enns" in danube
    )
    [library] = [b for b in blocks if "library-reopens-update.txt" in b]
    assert library.count("Linz city library reopens after two-year renovation") >= 2

    # Quarantine reasons with their files.
    quarantine = html[html.index('<section id="quarantine"') :]
    assert "<td>binary</td>" in quarantine and "<td>empty</td>" in quarantine
    assert "scan.png" in quarantine and "empty.txt" in quarantine


def test_report_selects_runs_and_says_when_sources_are_gone(tmp_path, capsys):
    batch = tmp_path / "in"
    batch.mkdir()
    text = "date 2024-05-01\n<b>Mayor</b> & council <script>alert(1)</script> agree budget\n\n" + (
        "The council approved the budget for the coming year after a long debate about "
        "road repairs, school meals and the new swimming pool in the western district."
    )
    (batch / "budget.txt").write_text(text, encoding="utf-8")
    (batch / "budget-copy.txt").write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    assert run_cli("--input", str(batch), "--output", str(out), "--run-id", "first") == 0
    (batch / "budget.txt").unlink()
    (batch / "budget-copy.txt").unlink()
    (batch / "later.txt").write_text("date 2024-05-02\nA later, unrelated note.", encoding="utf-8")
    assert run_cli("--input", str(batch), "--output", str(out), "--run-id", "second") == 0
    capsys.readouterr()

    assert _report(str(out), "--out", str(tmp_path / "latest.html")) == 0
    latest = (tmp_path / "latest.html").read_text(encoding="utf-8")
    assert "Run second" in latest and "read 1 = kept 1" in latest and "No duplicates." in latest

    assert _report(str(out), "--run", "first", "--out", str(tmp_path / "first.html")) == 0
    first = (tmp_path / "first.html").read_text(encoding="utf-8")
    assert "<script>" not in first and "<b>Mayor" not in first
    assert "&lt;b&gt;Mayor&lt;/b&gt; &amp; council &lt;script&gt;" in first
    [block] = _cluster_blocks(first)
    assert "source file not readable now" in block

    assert _report(str(out), "--all", "--out", str(tmp_path / "all.html")) == 0
    everything = (tmp_path / "all.html").read_text(encoding="utf-8")
    assert "All runs (2)" in everything and "read 3 = kept 2 + duplicates 1" in everything

    assert _report(str(out), "--run", "nope") == 3  # NOT_FOUND
    assert "no committed run 'nope'" in capsys.readouterr().err
    assert _report(str(tmp_path / "missing")) == 3
    assert "does not exist" in capsys.readouterr().err
