"""``run --streaming`` was removed: it is refused with a pointer to ``watch`` (exit 2)."""

from __future__ import annotations

from tests.helpers import run_cli


def test_streaming_is_refused_with_the_alternatives(sample_dir, tmp_path, capsys):
    out = tmp_path / "out"
    assert run_cli("--streaming", "--input", str(sample_dir), "--output", str(out)) == 2
    error = capsys.readouterr().err
    assert "newsingest watch" in error and "was removed" in error
    assert not out.exists()
