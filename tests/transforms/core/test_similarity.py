import pickle
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import xxhash

from newsingest.transforms.core import story_candidates
from newsingest.transforms.core.candidate_keys import candidate_keys
from newsingest.transforms.core.dedup_config import DedupConfig
from newsingest.transforms.core.feature_table import Features, FeatureTable
from newsingest.transforms.core.features import compute_features
from newsingest.transforms.core.story_columns import empty_row
from newsingest.transforms.core.story_model import load_model
from newsingest.transforms.core.verification import STORY_LINK, Match, verify

CONFIG = DedupConfig()
MODEL = load_model()
# Thresholds low enough that the story rewrites below are story duplicates: for the
# tests of the gates around the model (window, dates, eligibility), not of the model.
LOW = DedupConfig(story_threshold=0.5, story_group_threshold=0.5)
SEEDS = Path(__file__).resolve().parents[4] / "shared" / "seeds"
DAY = 19_800

STORY_A = (
    "Sergei Naryshkin, director of Russia's Foreign Intelligence Service, arrived in Pyongyang "
    "on Monday for talks with Ri Chang Dae, North Korea's Minister of State Security, on "
    "cooperation against espionage. Naryshkin and Ri Chang Dae discussed countering spying and "
    "subversive activities by hostile forces and the regional security situation. Analysts see "
    "the intelligence summit as a precursor to a visit by Vladimir Putin to Pyongyang, and the "
    "talks deepened intelligence ties between Moscow and Pyongyang amid Western sanctions."
)
STORY_B = (
    "SEOUL - Russia's External Intelligence chief Sergei Naryshkin visited Pyongyang for a "
    "three-day summit with North Korean State Security Minister Ri Chang Dae, state media KCNA "
    "said. The talks on espionage covered hostile forces' spying and plotting, the security "
    "situation around the Korean peninsula, and strengthening intelligence cooperation. "
    "Naryshkin's trip to Pyongyang fuels speculation about a coming Putin visit. Both "
    "agencies agreed on regular consultations and joint counterintelligence training, and "
    "diplomats in Seoul expect deeper coordination against cyber threats."
)
# Same people and places as STORY_A/B, another event: must not merge as story.
SAME_CAST_OTHER_STORY = (
    "Russia and North Korea opened a new road bridge across the Tumen River on Thursday, "
    "linking Khasan with Tumangang, as Vladimir Putin's government deepens trade ties with "
    "Pyongyang despite Western sanctions. Deputy Prime Minister Alexei Overchuk said the bridge "
    "would carry cargo trucks and buses, while Kim Jong Un's officials praised the project in "
    "Pyongyang. Moscow expects freight volumes to triple, and Sergei Naryshkin's intelligence "
    "service was not involved, Overchuk told reporters in Khasan. North Korea's state media KCNA "
    "said the Tumen River bridge shows friendship between Pyongyang and Moscow."
)
# A dividend notice rewritten, with another amount in the lead.
FUND_A = (
    "Franklin Utilities Fund declared a monthly dividend of 7.1 cts per share, payable May 15 "
    "to holders of record May 1, the Franklin Resources unit said in San Mateo. Franklin "
    "Utilities Fund invests in electric and gas utilities across California and Texas, and "
    "Franklin Resources manages the fund through its Templeton advisers. The fund's board in "
    "San Mateo reviewed utility holdings and Franklin said income from California utilities "
    "remained steady for shareholders of the Franklin Utilities Fund."
)
FUND_B = (
    "The Franklin Utilities Fund set a monthly payout of 6.6 cts a share, to be paid May 15 to "
    "shareholders on record May 1, Franklin Resources said from San Mateo. According to "
    "Franklin Resources, its Templeton advisers run Franklin Utilities Fund, which holds "
    "electric and gas utilities in California and Texas. Income from California utilities "
    "stayed steady, the San Mateo board said after reviewing the fund's utility holdings for "
    "Franklin Utilities Fund shareholders."
)
ZH_A = (
    "俄罗斯对外情报局局长纳雷什金抵达平壤，与朝鲜国家保卫相李昌大举行会谈，双方讨论了反间谍合作和地区安全局势。"
    "分析人士认为，这次情报会谈可能是普京访问平壤的前奏，莫斯科和平壤在西方制裁下加深了情报联系。"
)
ZH_B = (
    "据朝中社报道，俄罗斯对外情报局局长纳雷什金在平壤与朝鲜国家保卫相李昌大会谈，讨论反间谍合作与地区安全局势。"
    "外界认为纳雷什金此行可能为普京访问平壤做准备，莫斯科与平壤的情报联系在西方制裁下不断加深。"
)
UNRELATED = (
    "The central bank kept its benchmark interest rate unchanged on Thursday, citing sticky "
    "services inflation and a resilient labour market, while economists expect the first cut "
    "in the autumn after wage growth slows and energy prices stabilise across the eurozone, "
    "though several policymakers warned that markets were pricing too many reductions."
)
EARNINGS_A = (
    "Shr 46 cts vs 31 cts Net 1,234,000 vs 900,000 Revs 12.5 mln vs 10.1 mln "
    "Nine mths Shr 1.20 dlrs vs 95 cts Net 3,456,000 vs 2,700,000 Revs 36.1 mln vs 30.2 mln"
)
EARNINGS_B = (
    "Shr 52 cts vs 40 cts Net 1,534,000 vs 1,100,000 Revs 14.5 mln vs 11.3 mln "
    "Nine mths Shr 1.45 dlrs vs 1.02 dlrs Net 4,210,000 vs 2,950,000 Revs 40.7 mln vs 33.0 mln"
)
LONG = " ".join(
    f"Paragraph {i} of the ministry statement said the harbour authority will inspect vessel "
    f"moorings along the eastern shore before winter storms, officials in Wellington added."
    for i in range(8)
)


def features(texts, days=None, config=CONFIG):
    days = [DAY] * len(texts) if days is None else days
    return compute_features(texts, [_hash(t) for t in texts], days, config)


def _hash(text):
    return xxhash.xxh3_128_hexdigest(text.encode("utf-8"))


def one(text, day=DAY, content_hash=None, config=CONFIG):
    return compute_features([text], [content_hash or _hash(text)], [day], config)[0]


def test_exact_iff_content_hash_equal():
    a = one(STORY_A, content_hash="h1")
    b = one(STORY_A + " ", content_hash="h1", day=None)
    assert verify(a, b, CONFIG) == Match("exact", 1.0)


def test_light_edit_is_near():
    edited = LONG.replace("winter storms", "the winter storms")
    match = verify(one(LONG), one(edited), CONFIG)
    assert match is not None and match.method == "near"
    assert CONFIG.near_threshold <= match.similarity < 1.0


def probability(a: Features, b: Features) -> float:
    table = FeatureTable.from_rows([a, b])
    return MODEL.score(table.profile(0), table.profile(1))


def group_probability(a: Features, b: Features) -> float:
    table = FeatureTable.from_rows([a, b])
    return MODEL.group_score(table.profile(0), table.profile(1))


NO_LINKS = replace(CONFIG, story_group_threshold=1.0)


def test_story_tier_is_the_model_probability_against_the_two_thresholds():
    a, b = one(STORY_A, day=DAY), one(STORY_B, day=DAY + 1)
    p, g = probability(a, b), group_probability(a, b)
    # As shipped, the rewrite's merge probability is below the precision-first threshold
    # and its grouping probability above the group threshold: kept, one story.
    assert p < MODEL.threshold and g >= MODEL.group_threshold
    assert verify(a, b, CONFIG) == Match(STORY_LINK, g)
    assert verify(a, b, replace(CONFIG, story_group_threshold=min(1.0, g + 1e-6))) is None
    assert verify(a, b, replace(CONFIG, story_threshold=p)) == Match("story", p)
    assert verify(a, b, replace(CONFIG, story_threshold=1.0, story_group_threshold=1.0)) is None


def test_unrelated_is_none():
    assert verify(one(STORY_A), one(UNRELATED), CONFIG) is None


def test_same_entities_other_story_within_the_window_is_not_story():
    other = one(SAME_CAST_OTHER_STORY, day=DAY + 1)
    rewrite = probability(one(STORY_A), one(STORY_B, day=DAY + 1))
    rewrite_group = group_probability(one(STORY_A), one(STORY_B, day=DAY + 1))
    for story in (one(STORY_A), one(STORY_B, day=DAY + 1)):
        assert len(np.intersect1d(story.entities, other.entities)) >= 3
        assert verify(story, other, NO_LINKS) is None, "never removed"
        assert probability(story, other) < rewrite, "the same cast scores below the rewrite"
        assert group_probability(story, other) < rewrite_group


@pytest.mark.xfail(
    strict=True,
    reason="known gap of the shipped model (README, dedup tiers): two dividend notices "
    "with other amounts in the lead score above the threshold; the hand-set lead-figure "
    "veto that kept them apart is gone with the hand-set rules",
)
def test_dividend_notices_with_other_lead_figures_are_not_one_story():
    a, b = one(FUND_A), one(FUND_B)
    assert len(a.lead_figures) >= 2 and not np.array_equal(a.lead_figures, b.lead_figures)
    assert verify(a, b, CONFIG) is None


def test_caseless_script_rewrites_are_candidates_and_scored():
    a, b = one(ZH_A), one(ZH_B, day=DAY + 1)
    assert a.caseless and b.caseless and a.story_lang == "zh"
    p = probability(a, b)
    assert p > probability(a, one(STORY_B)), "the zh rewrite scores above a cased story"
    assert (verify(a, b, NO_LINKS) is None) == (p < MODEL.threshold)
    assert verify(a, b, LOW) == Match("story", p)
    keys = candidate_keys(features([ZH_A, ZH_B], [DAY, DAY + 1]), CONFIG)
    assert set(keys[0].tolist()) & set(keys[1].tolist())


def test_entities_come_from_original_case():
    feat = one(STORY_A)
    assert feat.entity_count >= 6 and not feat.caseless
    assert 1 <= len(feat.key_entities) <= CONFIG.story_key_entities + CONFIG.story_subject_entities
    assert np.isin(feat.key_entities, feat.entities).all()
    assert np.isin(feat.lead_entities, feat.entities).all()
    lower = one(STORY_A.lower())
    assert lower.entity_count == 0 and verify(feat, lower, CONFIG).method == "near"


def test_templated_earnings_with_other_figures_never_merge():
    a, b = one(EARNINGS_A), one(EARNINGS_B)
    assert a.template and b.template
    assert verify(a, b, CONFIG) is None
    loose = replace(CONFIG, near_threshold=0.01, story_threshold=0.0, story_group_threshold=0.0)
    assert verify(a, b, loose) is None


def test_templated_earnings_with_same_figures_merge_near():
    twin = EARNINGS_A.replace("Nine mths", "Nine months")
    match = verify(one(EARNINGS_A), one(twin), replace(CONFIG, near_threshold=0.5))
    assert match is not None and match.method == "near"


@pytest.mark.parametrize(
    "day_b,expected",
    [(DAY + 1, "story"), (DAY + CONFIG.story_window_days + 1, None), (None, None)],
)
def test_story_needs_both_dates_inside_the_window(day_b, expected):
    match = verify(one(STORY_A, day=DAY), one(STORY_B, day=day_b), LOW)
    assert (match and match.method) == expected


def test_missing_date_passes_when_dates_are_optional():
    config = replace(LOW, story_requires_dates=False)
    match = verify(one(STORY_A, day=None, config=config), one(STORY_B, config=config), config)
    assert match is not None and match.method == "story"


def test_story_disabled():
    config = replace(LOW, story_enabled=False)
    assert verify(one(STORY_A), one(STORY_B), config) is None
    assert candidate_keys([one(STORY_A)], config).shape == (1, config.near_params.bands + 1)


def test_verify_is_symmetric():
    feats = features([STORY_A, STORY_B, UNRELATED, LONG, EARNINGS_A])
    for a in feats:
        for b in feats:
            assert verify(a, b, CONFIG) == verify(b, a, CONFIG)


@pytest.mark.parametrize(
    "changes",
    [
        {"num_perm": 0},
        {"ngram": 0},
        {"ngram": 9},
        {"near_threshold": 0.0},
        {"near_threshold": 1.5},
        {"story_threshold": -0.1},
        {"story_threshold": float("nan")},
        {"story_group_threshold": 1.5},
        {"story_window_days": -1},
        {"template_number_fraction": float("nan")},
        {"story_max_entities": 0},
        {"story_lead_words": 0},
        {"story_key_entities": 0},
        {"story_lead_figure_tokens": 0},
    ],
)
def test_config_validation_rejects(changes):
    with pytest.raises(ValueError):
        replace(CONFIG, **changes).validate()


def test_default_config_is_valid():
    CONFIG.validate()
    LOW.validate()
    replace(CONFIG, story_group_threshold=0.0).validate()
    bands = story_candidates.BANDS + CONFIG.story_embedding_bands
    assert CONFIG.num_keys == CONFIG.near_params.bands + bands + 1


def test_story_thresholds_default_to_the_model_and_are_overridable_per_run():
    assert CONFIG.story_thresholds() == (MODEL.threshold, MODEL.group_threshold)
    assert LOW.story_thresholds() == (0.5, 0.5)
    assert replace(CONFIG, story_group_threshold=0.7).story_thresholds() == (MODEL.threshold, 0.7)
    assert {"story_threshold", "story_group_threshold"} <= set(CONFIG.decision_settings())
    assert CONFIG.with_decisions(story_threshold=0.95).story_threshold == 0.95


def test_features_are_small_and_picklable():
    letters = ["".join(chr(97 + i // 26**k % 26) for k in range(3)) for i in range(2000)]
    long_text = " ".join(f"{w}ward {i}.{i} {w.title()}son" for i, w in enumerate(letters))
    feats = features([STORY_A, long_text, ""])
    for feat in feats:
        data = pickle.dumps(feat)
        # ~2.3 KB for the near-tier and entity features, 400 bytes for the story
        # fields' framing; the story profile grows with the text (shingles, vectors)
        # plus its 512-byte embedding.
        assert len(pickle.dumps(replace(feat, **empty_row()))) <= 2304 + 400
        assert len(data) <= 2304 + 400 + 512 + 48 * feat.story_token_count
        assert pickle.loads(data) == feat
    assert feats[1].signature.dtype == np.uint32 and feats[1].signature.shape == (128,)
    assert len(feats[1].terms) == CONFIG.story_max_terms < feats[1].term_count
    assert len(feats[1].entities) == CONFIG.story_max_entities < feats[1].entity_count
    assert len(feats[1].lead_entities) == CONFIG.story_max_lead_entities
    assert 0 < len(feats[1].lead_figures) <= CONFIG.max_figures


def test_features_do_not_depend_on_the_batch():
    texts = [STORY_A, STORY_B, EARNINGS_A, ""]
    together = features(texts)
    alone = [features([t])[0] for t in texts]
    assert list(together) == alone


def test_candidate_keys_shape_dtype_determinism():
    feats = features([STORY_A, STORY_B, UNRELATED, EARNINGS_A, ""])
    keys = candidate_keys(feats, CONFIG)
    assert keys.dtype == np.uint64
    assert keys.shape == (5, CONFIG.num_keys)
    again = features([STORY_A, STORY_B, UNRELATED, EARNINGS_A, ""])
    np.testing.assert_array_equal(keys, candidate_keys(again, CONFIG))
    shared = set(keys[0].tolist()) & set(keys[1].tolist())
    assert shared, "the rewrite pair must be a candidate pair"
    assert not set(keys[4].tolist()) & set(keys[:4].ravel().tolist())


def test_story_keys_are_date_tiled():
    near_only = CONFIG.near_params.bands
    same = candidate_keys(features([STORY_A, STORY_B], [DAY, DAY + 1]), CONFIG)[:, near_only:]
    far = candidate_keys(features([STORY_A, STORY_B], [DAY, DAY + 30]), CONFIG)[:, near_only:]
    assert set(same[0].tolist()) & set(same[1].tolist())
    assert not set(far[0].tolist()) & set(far[1].tolist())


def test_undated_documents_get_only_filler_story_keys():
    keys = candidate_keys(features([STORY_A, STORY_B], [None, None]), CONFIG)
    story = keys[:, CONFIG.near_params.bands :]
    assert not set(story[0].tolist()) & set(story[1].tolist())


def test_exact_duplicates_share_every_key():
    feats = compute_features(["", ""], ["same", "same"], [DAY, DAY], CONFIG)
    keys = candidate_keys(feats, CONFIG)
    np.testing.assert_array_equal(keys[0], keys[1])


def _seed(prefix: str) -> tuple[str, int | None]:
    path = next(SEEDS.glob(f"{prefix}_*.txt"))
    raw = path.read_text(encoding="utf-8")
    header = re.match(r"\s*date (\d{4})-(\d{2})-(\d{2})\s", raw)
    if not header:
        return raw.strip(), None
    year, month, day = map(int, header.groups())
    days = int(np.datetime64(f"{year:04d}-{month:02d}-{day:02d}").astype(int))
    return raw[header.end() :].strip(), days


@pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds absent")
def test_seeds_as_the_shipped_model_decides():
    """The Naryshkin rewrite (000-001) is a candidate pair and the top-scoring seed pair,
    but stays below the shipped merge threshold (README: known gap;
    ``test_story_model.py`` holds the strict xfail): no seed pair is removed. Its
    grouping probability is the highest of the seeds' too."""
    docs = [_seed(f"{i:03d}") for i in range(5)]
    feats = compute_features(
        [t for t, _ in docs], [str(i) for i in range(5)], [d for _, d in docs], CONFIG
    )
    keys = candidate_keys(feats, CONFIG)
    assert set(keys[0].tolist()) & set(keys[1].tolist())
    scores = {(i, j): probability(feats[i], feats[j]) for i in range(5) for j in range(i + 1, 5)}
    assert max(scores, key=scores.get) == (0, 1)
    for i, j in scores:
        assert verify(feats[i], feats[j], NO_LINKS) is None, (i, j)
    groups = {pair: group_probability(feats[pair[0]], feats[pair[1]]) for pair in scores}
    assert max(groups, key=groups.get) == (0, 1)
    assert verify(feats[0], feats[1], CONFIG) == Match(STORY_LINK, groups[(0, 1)])


def test_features_type():
    assert isinstance(one(STORY_A), Features)


def test_identical_content_always_shares_the_content_key_column():
    a, b = one(STORY_A, day=DAY), one(STORY_A, day=DAY + 40)
    keys = candidate_keys([a, b, one(STORY_B, day=DAY)], CONFIG)
    assert keys[0, -1] == keys[1, -1] != keys[2, -1]


def test_embedding_bands_follow_the_lexical_bands_and_skip_templated_items():
    feats = features([STORY_A, STORY_B, UNRELATED, EARNINGS_A, EARNINGS_A], [DAY] * 5)
    lexical_end = CONFIG.near_params.bands + story_candidates.BANDS
    keys = candidate_keys(feats, CONFIG)
    without = candidate_keys(feats, replace(CONFIG, story_embedding_bands=0))
    assert without.shape[1] == keys.shape[1] - CONFIG.story_embedding_bands
    np.testing.assert_array_equal(keys[:, :lexical_end], without[:, :lexical_end])
    embedding = keys[:, lexical_end:-1]
    assert embedding.shape[1] == CONFIG.story_embedding_bands
    assert set(embedding[0].tolist()) & set(embedding[1].tolist()), "the rewrite shares one"
    assert not set(embedding[3].tolist()) & set(embedding[:3].ravel().tolist())
    np.testing.assert_array_equal(embedding[3], embedding[4])
