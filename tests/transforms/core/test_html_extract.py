"""HTML pages to main text, title and date (transforms/core/html_extract.py)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from newsingest.transforms.core.html_extract import (
    NoMainText,
    extract_html,
    is_html_name,
    looks_like_html,
)

PAGES = Path(__file__).resolve().parents[3] / "sample_data" / "structured" / "pages"


def test_a_news_page_gives_its_main_text_title_date_and_canonical_url():
    page = extract_html((PAGES / "budapest-bridge-closure.html").read_text(encoding="utf-8"))
    assert page.title == "Budapest closes Chain Bridge to cars for flood works"
    assert page.date_raw == "2024-03-28"
    assert page.source_id == "https://danubedaily.example.net/budapest/chain-bridge-closure"
    assert page.text.startswith("The Széchenyi Chain Bridge in Budapest will be closed")
    assert page.text.endswith("from the national flood defence fund.")
    for boilerplate in (
        "dataLayer",  # inline script
        "trackPageView",
        "Subscribe",  # navigation
        "Share on Facebook",
        "All rights reserved",  # footer
        "Horoscope",  # related links
        ".share-bar",  # style
        "Budapest closes Chain Bridge",  # the <h1> repeats the title: not in the body
    ):
        assert boilerplate not in page.text


def test_a_compressed_italian_page_is_extracted_with_its_json_ld_date():
    html = gzip.decompress((PAGES / "trieste-rail-freight.html.gz").read_bytes()).decode()
    page = extract_html(html)
    assert page.date_raw == "2024-03-27"
    assert page.text.startswith("Il porto di Trieste ha chiuso il trimestre")
    assert "cookie" not in page.text.lower() and "newsletter" not in page.text.lower()


@pytest.mark.parametrize(
    "html",
    [
        (PAGES / "cookie-wall.html").read_text(encoding="utf-8"),
        "<html><head><title>Empty</title></head><body></body></html>",
        "<html><body><script>var a = 1;</script><nav><a href='/'>Home</a></nav></body></html>",
        "<html><body><p>   </p></body></html>",
        "",
    ],
)
def test_a_page_without_main_text_raises_no_main_text(html):
    with pytest.raises(NoMainText):
        extract_html(html)


@pytest.mark.parametrize(
    "text",
    [
        "<p>北京市政府周四宣布，地铁十九号线北延段将于今年年底开通，全长约二十公里，设站六座。</p>",
        "<p>Москва, 28 марта. Мэрия объявила о продлении линии метро до Коммунарки.</p>",
        "<p>أعلنت بلدية دبي يوم الخميس عن افتتاح خط جديد للمترو يربط المطار بالمدينة.</p>",
    ],
)
def test_short_pages_in_other_scripts_keep_their_text(text):
    page = extract_html(f"<html><body>{text}</body></html>")
    assert page.text == text[3:-4]
    assert page.date_raw is None


def test_extraction_is_deterministic():
    html = (PAGES / "budapest-bridge-closure.html").read_text(encoding="utf-8")
    assert extract_html(html) == extract_html(html)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("page.html", True),
        ("PAGE.HTM", True),
        ("page.xhtml", True),
        ("page.html.gz", True),
        ("page.htm.bz2", True),
        ("page.txt", False),
        ("html-notes.txt", False),
    ],
)
def test_html_names(name, expected):
    assert is_html_name(name) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<!DOCTYPE html><html><body>x</body></html>", True),
        ("\n  <html lang='de'>", True),
        ("<?xml version='1.0'?>\n<!-- saved page -->\n<html>", True),
        ("<HEAD><TITLE>x</TITLE>", True),
        ("The <html> tag starts every page, the tutorial said.", False),
        (" date 2024-03-28 Body text with <b>bold</b>.", False),
        ("<htmlfoo>", False),
    ],
)
def test_html_is_sniffed_from_the_start_of_the_text_only(text, expected):
    assert looks_like_html(text) is expected
