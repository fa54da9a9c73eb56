"""Trains the same-story decisions and writes ``transforms/core/story_model.json``.

Two decisions over one signal basis: *merge* (remove a duplicate; trained on every
labelled pair) and *group* (share a ``story_id``; trained on the SemEval pairs only,
see :func:`group_rows`). Each model: L2-regularised logistic regression over the standardised basis
(:func:`story_model.design_matrix` of :data:`story_signals.SIGNAL_NAMES`), fitted by
Newton's method in numpy (a fixed number of iterations from zero weights: the same
pairs give the same bytes), with sign constraints so the score is monotone in every
signal (more similarity never lowers it, more contrary evidence never raises it).
Each corpus gets the same total weight, and each label half of it, so neither Reuters
nor SemEval nor the majority class dominates.

Threshold, precision first (a false merge deletes a real article): the out-of-fold
probabilities of an inner grouped 5-fold cross-validation of the training pairs; the
lowest threshold at which every negative family stays within its budget
(:data:`FALSE_MERGE_BUDGETS`: the issue's ceilings, Reuters DIFFERENT 2 %,
unrelated 3 %, dissimilar 10 %; for grouping :data:`FALSE_GROUP_BUDGETS`, the SemEval
ones), and never below 0.5.

Usage::

    python -m bench.story_train [--out transforms/core/story_model.json] [--limit N]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bench.story_data import Pair, grouped_folds, reuters_pairs, semeval_pairs
from newsingest.transforms.core.story_model import (
    HINGE_KNOTS,
    HINGED,
    design_matrix,
    model_version,
    weight_signs,
)
from newsingest.transforms.core.story_signals import SIGNAL_NAMES

MODEL_PATH = Path(__file__).resolve().parents[1] / "transforms" / "core" / "story_model.json"
L2 = 10.0
NEWTON_STEPS = 30
INNER_FOLDS = 5
FOLD_SEED = 12
MIN_THRESHOLD = 0.5
WINDOW_DAYS = 3
FALSE_MERGE_BUDGETS = {
    "reuters_different": 0.02,
    "unrelated": 0.03,
    "dissimilar": 0.10,
}
# Grouping keeps both articles, so only the SemEval event judgements bound it.
FALSE_GROUP_BUDGETS = {
    "unrelated": 0.03,
    "dissimilar": 0.10,
}


def merge_rows(pairs: Sequence[Pair]) -> list[Pair]:
    """Training pairs of the merge decision: every labelled pair."""
    return training_rows(pairs)


def group_rows(pairs: Sequence[Pair]) -> list[Pair]:
    """Training pairs of the grouping decision: the labelled SemEval pairs only.

    The Reuters ``DIFFERENT`` label means "both must stay", not "another event": many
    are follow-ups of one story, which grouping should join, so Reuters is left out.
    """
    return [p for p in training_rows(pairs) if p.source == "semeval"]


def training_rows(pairs: Sequence[Pair]) -> list[Pair]:
    """Pairs with a label (monolingual, not the in-between SemEval band)."""
    return [p for p in pairs if p.label is not None]


def sample_weights(pairs: Sequence[Pair]) -> np.ndarray:
    """Equal total weight per (source, label); mean weight 1."""
    keys = [(p.source, p.label) for p in pairs]
    counts = {key: keys.count(key) for key in set(keys)}
    weights = np.array([1.0 / counts[key] for key in keys])
    return weights * len(weights) / weights.sum()


def fit_logistic(
    x: np.ndarray, y: np.ndarray, weights: np.ndarray, l2: float = L2
) -> tuple[np.ndarray, float]:
    """Weighted L2 logistic regression (intercept unpenalised) by Newton's method."""
    design = np.hstack([x, np.ones((len(x), 1))])
    beta = np.zeros(design.shape[1])
    penalty = np.full(design.shape[1], l2)
    penalty[-1] = 0.0
    for _ in range(NEWTON_STEPS):
        p = 1.0 / (1.0 + np.exp(-(design @ beta)))
        gradient = design.T @ (weights * (p - y)) + penalty * beta
        hessian = (design * (weights * p * (1 - p))[:, None]).T @ design + np.diag(penalty)
        beta = beta - np.linalg.solve(hessian + 1e-9 * np.eye(len(beta)), gradient)
    return beta[:-1], float(beta[-1])


def fit_monotone(
    x: np.ndarray, y: np.ndarray, weights: np.ndarray, signs: np.ndarray
) -> tuple[np.ndarray, float]:
    """:func:`fit_logistic` with sign constraints, by backward elimination.

    A column whose weight has the wrong sign (``signs``: +1, -1, 0 free) is dropped,
    the most violating first, and the rest refitted, until every weight is allowed:
    the score is then monotone in every signal. Deterministic (ties: lowest column).
    """
    active = np.ones(x.shape[1], dtype=bool)
    while True:
        coef, intercept = fit_logistic(x[:, active], y, weights)
        full = np.zeros(x.shape[1])
        full[active] = coef
        violation = np.maximum(0.0, -full * signs)
        if not violation.any():
            return full, intercept
        active[int(np.argmax(violation))] = False


def _fit_payload(pairs: Sequence[Pair]) -> dict:
    x = design_matrix(np.array([p.signals for p in pairs]))
    y = np.array([p.label for p in pairs], dtype=np.float64)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    coef, intercept = fit_monotone((x - mean) / scale, y, sample_weights(pairs), weight_signs())
    return {"mean": mean, "scale": scale, "weights": coef, "intercept": intercept}


def probabilities(fit: dict, pairs: Sequence[Pair]) -> np.ndarray:
    x = design_matrix(np.array([p.signals for p in pairs]))
    z = ((x - fit["mean"]) / fit["scale"]) @ fit["weights"] + fit["intercept"]
    return 1.0 / (1.0 + np.exp(-z))


def choose_threshold(
    probs: np.ndarray, families: Sequence[str], budgets: dict[str, float] = FALSE_MERGE_BUDGETS
) -> float:
    """Lowest threshold keeping every negative family within its false-merge budget."""
    families = np.asarray(families)
    threshold = MIN_THRESHOLD
    for family, budget in sorted(budgets.items()):
        scores = np.sort(probs[families == family])[::-1]
        if not len(scores):
            continue
        allowed = int(np.floor(budget * len(scores)))
        if allowed < len(scores):
            threshold = max(threshold, float(np.nextafter(scores[allowed], 1.0)))
    return threshold


def train(pairs: Sequence[Pair], folds: int = INNER_FOLDS, seed: int = FOLD_SEED) -> dict:
    """Both decisions: the merge fit, with the grouping fit under ``"group"``."""
    fit = train_one(merge_rows(pairs), FALSE_MERGE_BUDGETS, folds, seed)
    fit["group"] = train_one(group_rows(pairs), FALSE_GROUP_BUDGETS, folds, seed)
    return fit


def train_one(
    pairs: Sequence[Pair], budgets: dict[str, float], folds: int = INNER_FOLDS,
    seed: int = FOLD_SEED,
) -> dict:
    """Fitted weights plus the precision-first threshold from inner out-of-fold scores."""
    pairs = list(pairs)
    fold = grouped_folds(pairs, folds, seed)
    oof = np.zeros(len(pairs))
    for k in range(folds):
        train_rows = [p for p, f in zip(pairs, fold, strict=True) if f != k]
        test_at = np.flatnonzero(fold == k)
        oof[test_at] = probabilities(_fit_payload(train_rows), [pairs[i] for i in test_at])
    fit = _fit_payload(pairs)
    fit["threshold"] = choose_threshold(oof, [p.family for p in pairs], budgets)
    return fit


def _counts(rows: Sequence[Pair]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for p in rows:
        counts[f"{p.source}:{p.family}"] = counts.get(f"{p.source}:{p.family}", 0) + 1
    return dict(sorted(counts.items()))


def _scorer(fit: dict) -> dict:
    return {
        "mean": [round(float(v), 10) for v in fit["mean"]],
        "scale": [round(float(v), 10) for v in fit["scale"]],
        "weights": [round(float(v), 10) for v in fit["weights"]],
        "intercept": round(float(fit["intercept"]), 10),
        "threshold": round(float(fit["threshold"]), 10),
    }


def to_payload(fit: dict, pairs: Sequence[Pair]) -> dict:
    """The JSON payload of a fitted model, with counts and its content ``version``."""
    payload = {
        "model": "logistic-regression",
        "signals": list(SIGNAL_NAMES),
        "basis": {
            "hinged": list(HINGED),
            "knots": list(HINGE_KNOTS),
        },
        **_scorer(fit),
        "window_days": WINDOW_DAYS,
        "l2": L2,
        "false_merge_budgets": FALSE_MERGE_BUDGETS,
        "training_pairs": _counts(merge_rows(pairs)),
        "group": {
            **_scorer(fit["group"]),
            "false_group_budgets": FALSE_GROUP_BUDGETS,
            "training_pairs": _counts(group_rows(pairs)),
        },
        "trained_by": "python -m bench.story_train",
    }
    payload["version"] = model_version(payload)
    return payload


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--limit", type=int, default=0, help="first N pairs of each corpus")
    args = parser.parse_args(argv)
    pairs = reuters_pairs(limit=args.limit) + semeval_pairs(limit=args.limit)
    payload = to_payload(train(pairs), pairs)
    args.out.write_text(json.dumps(payload, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    print(
        f"wrote {args.out} version {payload['version']} merge threshold "
        f"{payload['threshold']:.4f} group threshold {payload['group']['threshold']:.4f}"
    )
    for name, weight in zip(SIGNAL_NAMES, payload["weights"], strict=False):
        print(f"  {name:22s} {weight:+.3f}  (linear term)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
