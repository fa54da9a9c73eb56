"""Header labels and small date words per language (curated; Beam-free).

CLDR has month and weekday names (see ``date_names``) but no words for "published"
or "date line", so these few words per language are curated here, from the headers
that news sites print. Each label is a phrase; words are separated by one space and
match any horizontal whitespace.

``VALUE_REQUIRED`` labels are also common words of running text ("Data: 45% of ..."),
so they count only when a date-shaped value follows, with or without a colon.
"""

from __future__ import annotations

__all__ = [
    "LABELS",
    "UPDATED",
    "VALUE_REQUIRED",
    "TIME_CONNECTORS",
    "YEAR_WORDS",
]

PUBLISHED, UPDATED = "published", "updated"

# language -> {kind: phrases}
_PHRASES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        PUBLISHED: (
            "date", "dated", "published", "published on", "published at", "first published",
            "first published on", "first published at", "publication date", "posted",
            "posted on", "posted at",
        ),
        UPDATED: ("updated", "updated on", "updated at", "last updated", "last updated on",
                  "last updated at"),
    },
    "de": {
        PUBLISHED: ("datum", "veröffentlicht", "veröffentlicht am", "erschienen",
                    "erschienen am", "publiziert am", "stand"),
        UPDATED: ("aktualisiert", "aktualisiert am", "zuletzt aktualisiert",
                  "zuletzt aktualisiert am"),
    },
    "fr": {
        PUBLISHED: ("publié", "publié le", "date de publication", "paru le"),
        UPDATED: ("mis à jour", "mis à jour le", "mise à jour", "mise à jour le", "modifié le"),
    },
    "es": {
        PUBLISHED: ("fecha", "publicado", "publicado el", "fecha de publicación"),
        UPDATED: ("actualizado", "actualizado el", "última actualización"),
    },
    "it": {
        PUBLISHED: ("data", "pubblicato", "pubblicato il", "data di pubblicazione"),
        UPDATED: ("aggiornato", "aggiornato il", "ultimo aggiornamento"),
    },
    "pt": {
        PUBLISHED: ("publicado em", "data de publicação"),
        UPDATED: ("atualizado", "atualizado em", "última atualização"),
    },
    "nl": {
        PUBLISHED: ("gepubliceerd", "gepubliceerd op", "datum publicatie", "publicatiedatum"),
        UPDATED: ("bijgewerkt", "bijgewerkt op", "laatst bijgewerkt", "laatst bijgewerkt op"),
    },
    "pl": {
        PUBLISHED: ("opublikowano", "data publikacji", "data dodania"),
        UPDATED: ("aktualizacja", "zaktualizowano"),
    },
    "ru": {
        PUBLISHED: ("дата", "опубликовано", "дата публикации"),
        UPDATED: ("обновлено", "дата обновления"),
    },
    "uk": {
        PUBLISHED: ("опубліковано", "дата публікації"),
        UPDATED: ("оновлено",),
    },
    "tr": {
        PUBLISHED: ("tarih", "yayınlanma", "yayınlanma tarihi", "yayın tarihi"),
        UPDATED: ("güncelleme", "güncelleme tarihi", "güncellendi", "son güncelleme"),
    },
    "ar": {
        PUBLISHED: ("تاريخ", "التاريخ", "تاريخ النشر", "نشر في", "نُشر في", "تم النشر",
                    "نشر بتاريخ"),
        UPDATED: ("آخر تحديث", "تحديث", "تاريخ التحديث"),
    },
    "el": {
        PUBLISHED: ("ημερομηνία", "δημοσιεύθηκε", "δημοσίευση"),
        UPDATED: ("ενημερώθηκε", "τελευταία ενημέρωση"),
    },
    "cs": {
        PUBLISHED: ("publikováno", "zveřejněno"),
        UPDATED: ("aktualizováno",),
    },
    "sv": {
        PUBLISHED: ("publicerad",),
        UPDATED: ("uppdaterad",),
    },
    "zh": {
        PUBLISHED: ("日期", "时间", "時間", "发布时间", "发布日期", "发表时间", "发表日期",
                    "發布時間", "發佈時間", "發布日期", "發佈日期"),
        UPDATED: ("更新时间", "更新時間", "更新日期"),
    },
    "ja": {
        PUBLISHED: ("日付", "公開日", "公開日時", "掲載日", "配信日", "投稿日"),
        UPDATED: ("更新日", "更新日時"),
    },
    "ko": {
        PUBLISHED: ("날짜", "입력", "기사입력", "등록", "발행일"),
        UPDATED: ("수정", "업데이트"),
    },
}  # fmt: skip

# phrase -> (languages, kind). A phrase several languages share ("datum": de nl cs sv,
# "data": it pt pl, "date": en fr) lists them all, in the order of ``_PHRASES``; the
# fallback tries each, and the first decides how "05/03/2024" is read.
LABELS: dict[str, tuple[tuple[str, ...], str]] = {}
for _language, _kinds in _PHRASES.items():
    for _kind, _phrases in _kinds.items():
        for _phrase in _phrases:
            _languages, _ = LABELS.get(_phrase, ((), _kind))
            LABELS[_phrase] = ((*_languages, _language), _kind)
for _phrase, _languages in (("date", ("fr",)), ("datum", ("nl", "cs", "sv")),
                            ("data", ("pt", "pl"))):  # fmt: skip
    _known, _kind = LABELS[_phrase]
    LABELS[_phrase] = ((*_known, *(x for x in _languages if x not in _known)), _kind)

VALUE_REQUIRED = frozenset({"data", "stand", "时间", "時間", "입력", "등록", "수정"})

# Words between a date and its time: "um 09:15", "à 9h15", "a las 09:15", "às 09:15".
TIME_CONNECTORS = (
    "at", "um", "à", "a las", "a la", "alle", "ore", "às", "as", "om", "o", "o godz.",
    "godz.", "в", "saat", "في", "kl.", "klo", "kello", "la", "lúc",
)  # fmt: skip

# Words after the year: CLDR's long patterns give "г." (ru) and "р." (uk); these are
# the spelled-out and Polish/Turkish ones news also print.
YEAR_WORDS = ("года", "год", "року", "r.", "roku", "yılı")
