"""JSON Lines, JSON and HTML inputs end to end: per-record URIs, quarantine, accounting."""

from __future__ import annotations

import datetime as dt
import gzip
import shutil
import threading
import time
from pathlib import Path

import orjson
import pytest

from newsingest.pipeline.config import RunConfig
from newsingest.pipeline.watch import Watcher, WatchSettings
from newsingest.transforms.core.structured import parse_field_mapping
from tests.helpers import articles, dataset_snapshot, manifests, run_cli, table

ROOT = Path(__file__).resolve().parents[2]
STRUCTURED = ROOT / "sample_data" / "structured"
WIRE = "wire-2024-03-28.jsonl"
EXPORT = "api-export-2024-03-28.json.gz"

EXPECTED_KEPT = {
    f"{WIRE}#L1": ("Vienna airport passenger numbers hit March record", "2024-03-28", "parsed"),
    f"{WIRE}#L2": ("Donauhafen Krems nach Hochwasser wieder geöffnet", "2024-03-29", "parsed"),
    f"{WIRE}#L3": (
        "El puerto de Valencia bate su récord de contenedores en marzo",
        "2024-03-28",
        "parsed",
    ),
    f"{WIRE}#L4": ("Linz city library reopens after two-year renovation", "2024-03-28", "parsed"),
    f"{WIRE}#L9": ("Strasbourg prolonge son tramway vers Kehl", None, "invalid"),
    f"{EXPORT}#0": ("Warsaw opens its second metro line extension", "2024-03-27", "parsed"),
    f"{EXPORT}#1": ("Istanbul ferry operator adds night crossings", "2024-03-28", "parsed"),
    "budapest-bridge-closure.html": (
        "Budapest closes Chain Bridge to cars for flood works",
        "2024-03-28",
        "parsed",
    ),
    "trieste-rail-freight.html.gz": (
        "Trieste, il porto accelera sui collegamenti ferroviari con l'Europa centrale",
        "2024-03-27",
        "parsed",
    ),
}
EXPECTED_QUARANTINE = {
    f"{WIRE}#L5": "invalid_json",
    f"{WIRE}#L6": "missing_text",
    f"{WIRE}#L7": "wrong_type",
    "cookie-wall.html": "no_main_text",
}


def _name(uri: str) -> str:
    return uri.rsplit("/", 1)[-1]


def _by_name(rows: list[dict]) -> dict[str, dict]:
    return {_name(r["source_uri"]): r for r in rows}


def test_structured_samples_give_one_article_per_record(tmp_path):
    out = tmp_path / "out"
    assert run_cli("--input", str(STRUCTURED), "--output", str(out)) == 0
    kept = _by_name(articles(out))
    assert {
        name: (r["title"], r["published_date"] and str(r["published_date"]), r["date_status"])
        for name, r in kept.items()
    } == EXPECTED_KEPT
    assert kept[f"{WIRE}#L1"]["source_id"] == (
        "https://wire.example.com/2024/03/28/vienna-airport-traffic"
    )
    assert kept[f"{WIRE}#L1"]["published_at"] == dt.datetime(
        2024, 3, 28, 10, 30, tzinfo=dt.timezone.utc
    )
    assert kept[f"{WIRE}#L9"]["date_raw"] == "hier soir"
    assert kept["budapest-bridge-closure.html"]["source_id"].startswith("https://danubedaily")
    assert "trackPageView" not in kept["budapest-bridge-closure.html"]["text"]
    assert kept[f"{EXPORT}#1"]["text"].startswith("İstanbul Şehir Hatları")

    quarantine = _by_name(table(out, "quarantine"))
    assert {name: r["reason"] for name, r in quarantine.items()} == EXPECTED_QUARANTINE
    raw_line = (STRUCTURED / WIRE).read_text(encoding="utf-8").split("\n")[4]
    assert quarantine[f"{WIRE}#L5"]["raw_content"] == raw_line.encode()
    assert b"<script" in quarantine["cookie-wall.html"]["raw_content"]

    [manifest] = manifests(out)
    counts = manifest["counts"]
    assert (counts["read"], counts["kept"], counts["quarantined"]) == (13, 9, 4)
    assert counts["read"] == counts["kept"] + counts["duplicates"] + counts["quarantined"]
    assert manifest["settings"]["json_fields"] == parse_field_mapping(None).describe()


def test_a_record_duplicates_a_plain_file_across_formats(tmp_path):
    out = tmp_path / "out"
    articles_dir = ROOT / "sample_data" / "articles"
    code = run_cli("--input", str(articles_dir), "--input", str(STRUCTURED), "--output", str(out))
    assert code == 0
    kept = _by_name(articles(out))
    duplicates = _by_name(table(out, "duplicates"))
    # Same title and body as library-reopens.txt, which has a time: the plain file is canonical.
    assert duplicates[f"{WIRE}#L4"]["method"] == "exact"
    assert duplicates[f"{WIRE}#L4"]["duplicate_of"] == kept["library-reopens.txt"]["article_id"]
    [manifest] = manifests(out)
    counts = manifest["counts"]
    assert counts["read"] == 12 + 13
    assert counts["read"] == counts["kept"] + counts["duplicates"] + counts["quarantined"]
    assert manifest["timings_s"]["counters"]["files_read"] == 12 + 5


def test_rerun_skips_every_record_and_a_new_line_alone_is_ingested(tmp_path):
    inbox, out = tmp_path / "in", tmp_path / "out"
    shutil.copytree(STRUCTURED, inbox)
    assert run_cli("--input", str(inbox), "--output", str(out)) == 0
    before = dataset_snapshot(out)

    assert run_cli("--input", str(inbox), "--output", str(out)) == 0
    second = manifests(out)[-1]["counts"]
    assert second["read"] == second["skipped_already_ingested"] == 13
    assert dataset_snapshot(out) == before

    fresh = {
        "title": "Graz opens a new tram depot",
        "published": "2024-03-30",
        "text": "The city of Graz opened a tram depot for 40 low-floor trams on Saturday, "
        "ending years of overnight parking on the street.",
    }
    with open(inbox / WIRE, "a", encoding="utf-8") as feed:
        feed.write(orjson.dumps(fresh).decode() + "\n" + '{"broken": \n')
    assert run_cli("--input", str(inbox), "--output", str(out)) == 0
    third = manifests(out)[-1]["counts"]
    assert (third["read"], third["skipped_already_ingested"]) == (15, 13)
    assert (third["kept"], third["quarantined"]) == (1, 1)
    assert third["quarantined_by_reason"] == {"invalid_json": 1}
    kept = _by_name(articles(out))
    assert kept[f"{WIRE}#L10"]["title"] == "Graz opens a new tram depot"
    assert _by_name(table(out, "quarantine"))[f"{WIRE}#L11"]["reason"] == "invalid_json"


def test_json_fields_option_maps_other_field_names(tmp_path):
    feed = tmp_path / "in" / "ccnews.jsonl.gz"
    feed.parent.mkdir()
    records = [
        {
            "maintext": "Ljubljana will close its old town to cars on weekends from May, the "
            "city council decided on Thursday.",
            "headline": "Ljubljana bans weekend traffic in its old town",
            "date_publish": "2024-03-28 14:05:00",
            "source_url": "https://si.example.com/1",
        },
        {"text": "A record without the mapped body field.", "headline": "Ignored"},
    ]
    feed.write_bytes(gzip.compress(b"\n".join(orjson.dumps(r) for r in records)))
    out = tmp_path / "out"
    mapping = "body=maintext,title=headline,date=date_publish,id=source_url"
    assert run_cli("--input", str(feed.parent), "--output", str(out), "--json-fields", mapping) == 0
    [kept] = articles(out)
    assert kept["title"] == "Ljubljana bans weekend traffic in its old town"
    assert kept["published_at"] == dt.datetime(2024, 3, 28, 14, 5, tzinfo=dt.timezone.utc)
    assert kept["source_id"] == "https://si.example.com/1"
    [rejected] = table(out, "quarantine")
    assert (_name(rejected["source_uri"]), rejected["reason"]) == (
        "ccnews.jsonl.gz#L2",
        "missing_text",
    )
    assert manifests(out)[0]["settings"]["json_fields"].startswith("body=maintext,title=headline")


@pytest.mark.parametrize("spec", ["summary=abstract", "body"])
def test_a_bad_json_fields_option_is_a_usage_error(tmp_path, spec):
    code = run_cli("--input", str(STRUCTURED), "--output", str(tmp_path), "--json-fields", spec)
    assert code == 2
    assert not (tmp_path / "_runs").exists()


def test_watch_ingests_records_like_a_batch_run(tmp_path):
    inbox, out, batch = tmp_path / "inbox", tmp_path / "out", tmp_path / "batch"
    inbox.mkdir()
    base = RunConfig(
        inputs=("unused",),
        output=str(out),
        run_id="base",
        ingested_at=dt.datetime.now(dt.timezone.utc),
    )
    watcher = Watcher(str(inbox), base, WatchSettings(interval_s=0.05, settle_s=0.3))
    stop = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            watcher.run(stop)
        except BaseException as error:  # noqa: BLE001 - re-raised in the test thread
            errors.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        staged = tmp_path / "staged"
        shutil.copytree(STRUCTURED, staged)
        staged.rename(inbox / "structured")
        deadline = time.monotonic() + 60
        while sum(m["counts"]["read"] for m in _manifests_or_none(out)) < 13:
            assert time.monotonic() < deadline, "timed out waiting for the watcher"
            assert not errors, errors
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(timeout=60)
    assert not errors, errors
    assert sum(m["counts"]["quarantined"] for m in manifests(out)) == 4
    assert run_cli("--input", str(inbox), "--output", str(batch)) == 0
    assert dataset_snapshot(out) == dataset_snapshot(batch)


def _manifests_or_none(out: Path) -> list[dict]:
    return manifests(out) if (out / "_runs").is_dir() else []


def test_compaction_merges_files_written_before_source_id_existed(tmp_path):
    """Files of the same schema version without the appended column read it as null."""
    import pyarrow.parquet as pq

    from newsingest.pipeline.cli import main

    first, second, out = tmp_path / "a", tmp_path / "b", tmp_path / "out"
    first.mkdir()
    second.mkdir()
    (first / "old.txt").write_text(" date 2024-03-28 Snow closed the Pyhrn pass on Sunday.\n")
    shutil.copy(STRUCTURED / WIRE, second / WIRE)
    assert run_cli("--input", str(first), "--output", str(out), "--quiet") == 0
    [old] = [p for p in out.glob("articles/date=2024-03-28/*.parquet")]
    table_ = pq.read_table(old)
    pq.write_table(table_.drop_columns(["source_id"]).replace_schema_metadata(
        table_.schema.metadata), old)  # fmt: skip
    assert run_cli("--input", str(second), "--output", str(out), "--quiet") == 0
    assert main(["compact", str(out)]) == 0
    rows = _by_name(articles(out))
    assert rows["old.txt"]["source_id"] is None
    assert rows[f"{WIRE}#L1"]["source_id"].startswith("https://wire.example.com/")
    assert len(list(out.glob("articles/date=2024-03-28/*.parquet"))) == 1


def test_watch_takes_the_json_field_mapping(tmp_path):
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    base = RunConfig(
        inputs=("unused",),
        output=str(out),
        run_id="base",
        ingested_at=dt.datetime.now(dt.timezone.utc),
        json_fields=parse_field_mapping("body=maintext,title=headline"),
    )
    record = {"maintext": "Snow closed the Pyhrn pass on Sunday, the road authority said.",
              "headline": "Pyhrn pass closed"}  # fmt: skip
    staged = tmp_path / "feed.jsonl"
    staged.write_bytes(orjson.dumps(record) + b"\n")
    staged.rename(inbox / "feed.jsonl")
    watcher = Watcher(str(inbox), base, WatchSettings(interval_s=0.05, settle_s=0.2))
    stop = threading.Event()
    thread = threading.Thread(target=watcher.run, args=(stop,), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while not _manifests_or_none(out):
            assert time.monotonic() < deadline, "timed out waiting for the watcher"
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(timeout=60)
    [kept] = articles(out)
    assert (kept["title"], _name(kept["source_uri"])) == ("Pyhrn pass closed", "feed.jsonl#L1")


def test_watch_refuses_a_bad_json_field_mapping(tmp_path):
    from newsingest.pipeline.cli import main

    code = main(["watch", "--input", str(tmp_path), "--output", str(tmp_path / "o"),
                 "--json-fields", "headline=title"])  # fmt: skip
    assert code == 2
