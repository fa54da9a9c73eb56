"""End to end through the CLI: dates in other languages, mojibake, mixed-encoding files."""

from __future__ import annotations

import datetime as dt

from tests.helpers import articles, by_name, manifests, run_cli

BODIES = {
    "de.txt": (
        "Datum: Donnerstag, 28. März 2024, 09:15 Uhr MEZ\n\n"
        "Der Stadtrat hat am Donnerstag den Bau einer neuen Straßenbahnlinie beschlossen, "
        "die den Hauptbahnhof mit dem Universitätsgelände verbinden soll."
    ),
    "fr.txt": (
        "Publié le 27 mars 2024 à 18h30\n\n"
        "Le conseil municipal de Lyon a voté mercredi un plan de rénovation des écoles "
        "primaires de la ville, financé en partie par la région."
    ),
    "ru.txt": (
        "Дата: 26 марта 2024 г.\n\n"
        "Правительство утвердило программу строительства новых школ в регионах страны "
        "на ближайшие пять лет."
    ),
    "zh.txt": (
        "发布时间：２０２４年３月２５日 10:00\n\n"
        "市政府周一宣布，将在未来三年内新建二十所小学，以缓解城区入学压力。"
    ),
    "ar.txt": (
        "تاريخ النشر: ٢٤ مارس ٢٠٢٤\n\n"
        "أعلنت وزارة التربية والتعليم عن خطة لبناء مدارس جديدة في عدة محافظات خلال العام المقبل."
    ),
}
MOJIBAKE_TEXT = (
    "Published: 23 March 2024\n\n"
    "Der Bürgermeister von München sagte, die Gespräche seien „sehr gut“ verlaufen und "
    "man werde die Straße im Frühjahr öffnen."
)
MIXED_UTF8 = "Date: 22 March 2024\n\nDie Straße in München bleibt bis Freitag gesperrt.\n"
MIXED_LATIN1 = "Le ministre a déclaré à Genève que les travaux coûteront cher.\n"


def test_multilingual_dates_mojibake_and_mixed_files(tmp_path):
    inbox = tmp_path / "in"
    inbox.mkdir()
    for name, body in BODIES.items():
        (inbox / name).write_text(body, encoding="utf-8")
    mojibake = MOJIBAKE_TEXT.encode("utf-8").decode("cp1252")
    (inbox / "mojibake.txt").write_text(mojibake, encoding="utf-8")
    (inbox / "mixed.txt").write_bytes(MIXED_UTF8.encode("utf-8") + MIXED_LATIN1.encode("latin-1"))
    out = tmp_path / "out"
    assert run_cli("--input", str(inbox), "--output", str(out)) == 0

    kept = by_name(articles(out))
    assert sorted(kept) == sorted([*BODIES, "mojibake.txt", "mixed.txt"])
    expected = {
        "de.txt": (dt.date(2024, 3, 28), dt.datetime(2024, 3, 28, 8, 15)),
        "fr.txt": (dt.date(2024, 3, 27), dt.datetime(2024, 3, 27, 18, 30)),
        "ru.txt": (dt.date(2024, 3, 26), None),
        "zh.txt": (dt.date(2024, 3, 25), dt.datetime(2024, 3, 25, 10, 0)),
        "ar.txt": (dt.date(2024, 3, 24), None),
        "mojibake.txt": (dt.date(2024, 3, 23), None),
        "mixed.txt": (dt.date(2024, 3, 22), None),
    }
    for name, (date, at) in expected.items():
        row = kept[name]
        assert row["date_status"] == "parsed", name
        assert row["published_date"] == date, name
        published_at = row["published_at"]
        if published_at is not None:
            published_at = published_at.replace(tzinfo=None)
        assert published_at == at, name
    assert kept["de.txt"]["text"].startswith("Der Stadtrat")
    # clean_text folds the fullwidth digits before the header is read
    assert kept["zh.txt"]["date_raw"] == "2024年3月25日 10:00"
    assert kept["ar.txt"]["date_raw"] == "٢٤ مارس ٢٠٢٤"
    assert "München" in kept["mojibake.txt"]["text"]
    assert "Ã" not in kept["mojibake.txt"]["text"]
    assert kept["mixed.txt"]["encoding"] == "utf-8+cp1252"
    assert "München" in kept["mixed.txt"]["text"]
    assert "déclaré à Genève" in kept["mixed.txt"]["text"]
    [manifest] = manifests(out)
    assert manifest["counts"]["quarantined"] == 0
    assert manifest["accounting_ok"] is True
