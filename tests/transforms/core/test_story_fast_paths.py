"""The story tier's one-pass tokeniser and caps-line lookup equal their plain definitions.

The references below state each rule the obvious way (a search of the three characters
before every token; a scan of every caps span per token); the shipped code computes the
same thing in one pass. They must agree on every text.
"""

from __future__ import annotations

import random

import regex

from newsingest.transforms.core import story_signals, story_text
from tests.transforms.core.fast_path_texts import all_texts

_REFERENCE_SENTENCE_END = regex.compile(r"[.!?;:\"«»„“”。！？]\s*$")


def reference_initials(text: str, lang: str) -> list[bool]:
    """``initial`` of each token, by the definition: a sentence end followed only by white
    space in the three characters before the word, or a line break among them."""
    flags: list[bool] = []
    for match in story_text._TOKEN_RE.finditer(text):
        start = match.start()
        before = text[max(0, start - 3) : start]
        initial = not flags or bool(_REFERENCE_SENTENCE_END.search(before)) or "\n" in before
        pieces = story_text._segment(match.group(), lang) if match.lastgroup == "cjk" else [1]
        flags += [initial] + [False] * (len(pieces) - 1)
    return flags


def test_token_initials_match_the_definition():
    texts = all_texts()
    assert len(texts) > 600
    for text in texts:
        for lang in ("en", "zh"):
            tokens = story_text.tokenize(text, lang)
            assert [token.initial for token in tokens] == reference_initials(text, lang), text


def test_some_tokens_are_initial_and_some_are_not():
    flags = [t.initial for text in all_texts() for t in story_text.tokenize(text, "en")]
    assert any(flags) and not all(flags)


def test_caps_line_lookup_matches_a_scan_of_every_span():
    rng = random.Random(5)
    texts = all_texts()
    texts += [
        "\n".join(
            rng.choice(["SHARES OF ACME CORP ROSE", "Acme rose", "", "NEW YORK, Jan 3"])
            for _ in range(rng.randint(1, 12))
        )
        for _ in range(300)
    ]
    saw_caps = False
    for text in texts:
        tokens = story_text.tokenize(text, "en")
        caps = story_signals._caps_spans(text)
        saw_caps |= bool(caps)
        expected = [any(low <= t.start < high for low, high in caps) for t in tokens]
        assert story_signals._on_caps_lines(tokens, caps) == expected
    assert saw_caps


def test_word_characters_are_letters_and_marks_outside_no_space_scripts_exactly():
    """Every code point: the tokeniser's word class equals the look-ahead definition."""
    every = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    definition = regex.compile(rf"(?![{story_text._NO_SPACE}])[\p{{L}}\p{{M}}]")
    shipped = regex.compile(story_text._WORD_CHAR, regex.V1)
    expected = [m.start() for m in definition.finditer(every)]
    assert len(expected) > 50_000
    assert [m.start() for m in shipped.finditer(every)] == expected


def test_token_spans_and_kinds_match_the_look_ahead_pattern():
    no_space = story_text._NO_SPACE
    definition = regex.compile(
        rf"(?P<num>\p{{Nd}}+(?:[.,]\p{{Nd}}+)*)"
        rf"|(?P<cjk>[{no_space}]+)"
        rf"|(?P<word>(?:(?![{no_space}])[\p{{L}}\p{{M}}])+)"
    )
    for text in all_texts():
        shipped = [(m.span(), m.lastgroup) for m in story_text._TOKEN_RE.finditer(text)]
        assert shipped == [(m.span(), m.lastgroup) for m in definition.finditer(text)]
