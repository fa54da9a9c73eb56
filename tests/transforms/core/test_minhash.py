import numpy as np
import pytest
from datasketch import MinHash

from newsingest.transforms.core.minhash import EMPTY_VALUE, band_keys, lsh_params, signatures
from newsingest.transforms.core.tokens import shingle_hashes, token_hashes, tokenize


def _reference_signature(shingles: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    minhash = MinHash(num_perm=num_perm, seed=seed, scheme="affine32", hashfunc=int)
    for value in shingles.tolist():
        minhash.update(value)
    return minhash.hashvalues


def _shingles(text: str, n: int = 5) -> np.ndarray:
    return shingle_hashes(token_hashes(tokenize(text)), n)


TEXTS = [
    "Naryshkin visited Pyongyang on Monday for talks with Ri Chang Dae.",
    "Shr 46 cts vs 31 cts Net 1,234,000 vs 900,000 Revs 12.5 mln vs 10.1 mln",
    "short text",
    "",
    "北朝鮮の指導者がロシアを訪問した。",
    " ".join(f"word{i}" for i in range(5000)),
]


@pytest.mark.parametrize("num_perm,seed", [(128, 1), (64, 42), (7, 3)])
def test_batched_signatures_equal_datasketch(num_perm, seed):
    shingles = [_shingles(t) for t in TEXTS]
    batched = signatures(shingles, num_perm=num_perm, seed=seed)
    for row, doc in zip(batched, shingles, strict=True):
        if len(doc) == 0:
            assert (row == EMPTY_VALUE).all()
        else:
            np.testing.assert_array_equal(row, _reference_signature(doc, num_perm, seed))


def test_signature_does_not_depend_on_batch_composition():
    shingles = [_shingles(t) for t in TEXTS]
    together = signatures(shingles, 128, 1)
    alone = np.vstack([signatures([s], 128, 1) for s in shingles])
    np.testing.assert_array_equal(together, alone)


def test_shingles_are_order_sensitive_and_keep_numbers():
    assert _shingles("a b c d e")[0] != _shingles("b a c d e")[0]
    assert set(_shingles("Net 46 cts vs 31 cts today")) != set(
        _shingles("Net 47 cts vs 31 cts today")
    )


def test_short_document_gets_one_shingle():
    assert len(_shingles("two words")) == 1
    assert len(_shingles("")) == 0


def test_no_space_scripts_tokenize_per_character():
    assert tokenize("普京访问朝鲜") == ["普", "京", "访", "问", "朝", "鲜"]
    assert tokenize("Shr 1,234.5 vs 46") == ["shr", "1,234.5", "vs", "46"]


def test_band_keys_match_iff_band_values_match():
    params = lsh_params(0.8, 128)
    sigs = signatures([_shingles(t) for t in TEXTS[:2]], 128, 1)
    copy = sigs.copy()
    copy[1, 0] ^= 1
    keys_a, keys_b = band_keys(sigs, params), band_keys(copy, params)
    assert (keys_a[0] == keys_b[0]).all()
    assert keys_a[1, 0] != keys_b[1, 0]
    assert (keys_a[1, 1:] == keys_b[1, 1:]).all()
    assert not set(band_keys(sigs, params, namespace=1).ravel()) & set(keys_a.ravel())


@pytest.mark.parametrize("num_perm,seed", [(128, 1), (64, 2), (33, 99)])
def test_permutations_are_datasketchs(num_perm, seed):
    from newsingest.transforms.core.minhash import permutations

    a, b = permutations(num_perm, seed)
    expected_a, expected_b = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
    np.testing.assert_array_equal(a.ravel(), expected_a)
    np.testing.assert_array_equal(b.ravel(), expected_b)


@pytest.mark.parametrize("num_perm", [32, 128])
@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.7, 0.8, 0.9])
def test_lsh_params_equal_datasketchs_choice(threshold, num_perm):
    from datasketch.lsh import _optimal_param

    params = lsh_params(threshold, num_perm)
    assert (params.bands, params.rows) == _optimal_param(threshold, num_perm, 0.5, 0.5)


def test_a_document_longer_than_a_block_matches_datasketch_in_bounded_memory():
    """One 8.9 MB single-line article has ~1M shingles: its signature is computed a block
    at a time (peak num_perm x 32k words, not num_perm x 1M) and still equals datasketch."""
    from newsingest.transforms.core.minhash import _BLOCK, signatures_flat

    rng = np.random.RandomState(7)
    long = rng.randint(0, 1 << 32, 3 * _BLOCK + 17, dtype=np.uint64).astype(np.uint32)
    short = long[:50]
    expected = [_reference_signature(v, 32, 5) for v in (long, short)]
    got = signatures([long, short], 32, 5)
    flat = signatures_flat(np.concatenate([short, long]), np.array([50, len(long)]), 32, 5)
    assert np.array_equal(got[0], expected[0]) and np.array_equal(got[1], expected[1])
    assert np.array_equal(flat[1], expected[0]) and np.array_equal(flat[0], expected[1])
