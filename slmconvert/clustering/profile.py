"""What each cluster is: a readable label, traffic and cost share, token percentiles, a centroid.

A label names the cluster's node (its tools and the gist of its system prompt) and the cluster's
own keywords by class-based TF-IDF (c-TF-IDF, as in BERTopic): each cluster's user turns are one
document, and a term scores by its frequency in the cluster times its rarity across clusters.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from slmconvert.clustering.sampling import smallest_hashes
from slmconvert.clustering.spill import take
from slmconvert.clustering.tally import ClusterTally, percentile
from slmconvert.core.records import NOISE, call_tokens

KINDS = ("text", "json", "tool calls")
"""What a call answered with, by the code `calls.Calls.kinds` stores."""


def tokens(record: dict) -> tuple[int, int, bool]:
    """(input tokens, output tokens, estimated?) of a record (`records.call_tokens`)."""
    return call_tokens(record)


def keywords(docs: dict[int, str], top: int = 6) -> dict[int, list[str]]:
    """Top c-TF-IDF terms per cluster, from one concatenated document per cluster."""
    from sklearn.feature_extraction.text import CountVectorizer

    ids = sorted(docs)
    if not ids:
        return {}
    vectorizer = CountVectorizer(
        stop_words="english",
        ngram_range=(1, 2),
        min_df=1,
        max_features=20_000,
        token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z]+\b",
    )
    try:
        counts = vectorizer.fit_transform([docs[i] for i in ids]).toarray().astype(float)
    except ValueError:  # no terms at all
        return {i: [] for i in ids}
    terms = vectorizer.get_feature_names_out()
    tf = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    avg_words = counts.sum() / len(ids)
    idf = np.log(1 + avg_words / np.maximum(counts.sum(axis=0), 1))
    scores = tf * idf
    out = {}
    for row, cid in enumerate(ids):
        order = np.lexsort((terms, -scores[row]))
        out[cid] = [str(terms[j]) for j in order[:top] if scores[row, j] > 0]
    return out


def present(labels: np.ndarray) -> list[int]:
    """Every label that occurs (noise included), ascending: counted in one pass rather than by
    sorting a copy of every call's label."""
    return (np.flatnonzero(np.bincount(labels + 1)) - 1).tolist()  # NOISE (-1) counted at 0


def gist(system: str, words: int = 8) -> str:
    """The first words of a (normalised) system prompt, as a node's name."""
    found = [w for w in system.split() if w != "#"]
    return (
        " ".join(found[:words]) + ("…" if len(found) > words else "")
        if found
        else "no system prompt"
    )


def profiles(calls, labels: np.ndarray, nodes: dict[int, dict], centroids: dict,
             examples: dict[int, list[str]], seed: int = 0) -> tuple[list[dict], dict]:  # fmt: skip
    """Per-cluster profiles (sorted by id) and the noise summary (calls and cost share).

    ``nodes`` describes each cluster's node (``tools``, ``gist``); ``centroids`` maps a cluster
    id to its vector for the report's map; ``examples`` its smallest ids. The answers are
    described, never used to cluster.
    """
    ids = [c for c in present(labels) if c != NOISE]
    tally = ClusterTally(labels, ids, len(calls.tools))
    for start, cols in calls.numbers.batches():
        tally.add(start, cols)
    samples = smallest_hashes(calls.ids, seed, 400, tally.rows(labels), len(ids) + 1)
    docs = {c: "\n".join(take(calls.users, samples[tally.row(c)])) for c in ids}
    words = keywords(docs)
    total, total_cost = len(labels), float(tally.cost.sum())
    clusters = [
        _profile(c, tally, calls.tools, nodes[c], words.get(c, []), total, total_cost)
        | {"examples": examples.get(c, []), "centroid": [round(float(x), 6) for x in centroids[c]]}
        for c in ids
    ]
    noise = tally.row(NOISE)
    return clusters, {
        "size": int(tally.size[noise]),
        "share": round(int(tally.size[noise]) / total, 6) if total else 0.0,
        "cost_share": round(float(tally.cost[noise]) / total_cost, 6) if total_cost else None,
    }


def _profile(cid, tally: ClusterTally, tools, node, words, total, total_cost) -> dict:
    """One cluster's profile from the tallied numbers."""
    row = tally.row(cid)
    size = int(tally.size[row])
    kinds = [(KINDS[k], n) for k, n in tally.counted(cid, kinds=True)]
    called = [(tools[t], n) for t, n in tally.counted(cid, kinds=False) if t != 0]
    tokens = {
        name: {f"p{q}": int(percentile(*counts.of(row), q)) for q in (50, 95)}
        for name, counts in (("input_tokens", tally.tokens_in), ("output_tokens", tally.tokens_out))
    }
    return {
        "id": cid,
        "label": _label(node, words),
        "node": node,
        "size": size,
        "share": round(size / total, 6),
        "keywords": words,
        "tools": [name for name, _ in called[:5]],
        "answer_kinds": {k: round(n / size, 4) for k, n in kinds},
        **tokens,
        "tokens_estimated": bool(tally.estimated[row]),
        "tool_call_share": round(dict(kinds).get("tool calls", 0) / size, 4),
        "cost_share": round(float(tally.cost[row]) / total_cost, 6) if total_cost else None,
    }


def _label(node: dict, words: list[str]) -> str:
    """A node's tools and system-prompt gist, then the cluster's own keywords."""
    tools = node.get("tools") or []
    head = "/".join(tools[:3]) + ("/…" if len(tools) > 3 else "") if tools else "no tools"
    return f"{node.get('gist', '')} [{head}] · {', '.join(words[:3]) or 'misc'}"


def plot(path: Path, points: np.ndarray, labels: np.ndarray, names: dict[int, str]) -> None:
    """Write a 2-D map of the calls coloured by cluster (noise in grey)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.decomposition import PCA

    xy = points[:, :2] if points.shape[1] <= 2 else PCA(2, random_state=0).fit_transform(points)
    fig, ax = plt.subplots(figsize=(8, 6), dpi=110)
    noise = labels == NOISE
    ax.scatter(xy[noise, 0], xy[noise, 1], s=4, c="#bbbbbb", label="noise (stays on LLM)")
    cmap = plt.get_cmap("tab20")
    for k, cid in enumerate(c for c in present(labels) if c != NOISE):
        sel = labels == cid
        ax.scatter(
            xy[sel, 0], xy[sel, 1], s=5, color=cmap(k % 20), label=f"{cid}: {names[cid][:40]}"
        )
    ax.set_title("Calls by task cluster (2-D projection of the signature embeddings)")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.legend(fontsize=7, markerscale=3, loc="best")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
