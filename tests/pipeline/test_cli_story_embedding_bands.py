"""The embedding bands end to end through the CLI: a German translation of an English
report shares no lexical story band with it, yet both land in one story (read back
with pyarrow); without the embedding bands they start two."""

from __future__ import annotations

import pyarrow.dataset as ds

from tests.helpers import run_cli

ENGLISH = """Date: Tue, 10 Mar 2026 09:00:00 +0100

Dutch central bank warns of housing slowdown

The Dutch central bank warned on Tuesday that house prices in the Netherlands could fall \
next year as higher mortgage rates weigh on buyers, and it urged the government to speed \
up construction of affordable homes.
In its spring outlook, the bank said prices had risen for eleven years in a row but that \
demand was cooling quickly in Amsterdam, Rotterdam and Utrecht. Mortgage applications \
dropped by almost a fifth in the first quarter.
The bank's president said banks remained well capitalised and that a sharp correction was \
not its central scenario, but households with large loans should prepare for higher \
monthly payments when their fixed rates expire.
The housing ministry said it would present a plan to build more social housing before the \
summer.
"""

GERMAN = """Date: Tue, 10 Mar 2026 11:30:00 +0100

Niederländische Notenbank warnt vor Abkühlung am Wohnungsmarkt

Die niederländische Zentralbank hat am Dienstag gewarnt, dass die Hauspreise in den \
Niederlanden im kommenden Jahr sinken könnten, weil höhere Hypothekenzinsen die Käufer \
belasten. Sie forderte die Regierung auf, den Bau bezahlbarer Wohnungen zu beschleunigen.
In ihrem Frühjahrsausblick erklärte die Bank, die Preise seien elf Jahre in Folge \
gestiegen, doch die Nachfrage kühle sich in Amsterdam, Rotterdam und Utrecht rasch ab. \
Die Zahl der Hypothekenanträge sei im ersten Quartal um fast ein Fünftel gefallen.
Der Präsident der Bank sagte, die Banken seien gut kapitalisiert und ein scharfer \
Einbruch sei nicht das Hauptszenario. Haushalte mit hohen Krediten sollten sich jedoch \
auf höhere Monatsraten einstellen, wenn ihre Zinsbindung ausläuft.
Das Wohnungsbauministerium kündigte an, vor dem Sommer einen Plan für mehr \
Sozialwohnungen vorzulegen.
"""


def _story_ids(tmp_path, name, *options):
    inbox = tmp_path / f"inbox-{name}"
    inbox.mkdir()
    (inbox / "housing-en.txt").write_text(ENGLISH, encoding="utf-8")
    (inbox / "housing-de.txt").write_text(GERMAN, encoding="utf-8")
    out = tmp_path / f"out-{name}"
    assert run_cli("--input", str(inbox), "--output", str(out), *options) == 0
    table = ds.dataset(out / "articles", format="parquet", partitioning="hive").to_table()
    rows = table.select(["source_uri", "story_id"]).to_pylist()
    assert len(rows) == 2, "a translation is kept, never removed"
    return {row["source_uri"].rsplit("/", 1)[-1]: row["story_id"] for row in rows}


def test_a_translation_joins_the_story_through_the_embedding_bands(tmp_path):
    ids = _story_ids(tmp_path, "default")
    assert ids["housing-en.txt"] == ids["housing-de.txt"]


def test_without_embedding_bands_the_translation_starts_its_own_story(tmp_path):
    ids = _story_ids(tmp_path, "lexical", "--dedup-story-embedding-bands", "0")
    assert ids["housing-en.txt"] != ids["housing-de.txt"]
