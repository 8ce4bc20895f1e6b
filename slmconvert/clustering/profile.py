"""What each cluster is: a readable label, traffic and cost share, token percentiles, a centroid.

A label names the cluster's node (its tools and the gist of its system prompt) and the cluster's
own keywords by class-based TF-IDF (c-TF-IDF, as in BERTopic): each cluster's user turns are one
document, and a term scores by its frequency in the cluster times its rarity across clusters.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from slmconvert.clustering.spill import TextColumn, take
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


def _pct(values: np.ndarray, q: float) -> int:
    return int(np.percentile(values, q)) if len(values) else 0


def gist(system: str, words: int = 8) -> str:
    """The first words of a (normalised) system prompt, as a node's name."""
    found = [w for w in system.split() if w != "#"]
    return (
        " ".join(found[:words]) + ("…" if len(found) > words else "")
        if found
        else "no system prompt"
    )


def _doc_sample(members: np.ndarray, hashes: np.ndarray, users, n: int = 400) -> str:
    chosen = members[np.argsort(hashes[members], kind="stable")[:n]]
    return "\n".join(take(users, chosen))


def profiles(calls, labels: np.ndarray, nodes: dict[int, dict], centroids: dict, seed: int = 0,
             examples: int = 5) -> tuple[list[dict], dict]:  # fmt: skip
    """Per-cluster profiles (sorted by id) and the noise summary (calls and cost share).

    ``nodes`` describes each cluster's node (``tools``, ``gist``); ``centroids`` maps a cluster
    id to its vector for the report's map. The answers are described, never used to cluster.
    """
    total = len(labels)
    costs = np.nan_to_num(calls.cost)
    total_cost = float(costs.sum())
    hashes = calls.hashes(seed)
    ids = sorted(set(labels.tolist()) - {NOISE})
    members_of = {c: np.flatnonzero(labels == c) for c in ids}
    words = keywords({c: _doc_sample(m, hashes, calls.users) for c, m in members_of.items()})
    clusters = []
    for cid in ids:
        members = members_of[cid]
        kinds = _counted(calls.kinds, members, KINDS)
        called = _counted(calls.called, members, calls.tools, skip=0)
        node = nodes[cid]
        clusters.append(
            {
                "id": cid,
                "label": _label(node, words.get(cid, [])),
                "node": node,
                "size": len(members),
                "share": round(len(members) / total, 6),
                "keywords": words.get(cid, []),
                "tools": [name for name, _ in called[:5]],
                "answer_kinds": {k: round(n / len(members), 4) for k, n in kinds},
                "input_tokens": {
                    "p50": _pct(calls.tokens_in[members], 50),
                    "p95": _pct(calls.tokens_in[members], 95),
                },
                "output_tokens": {
                    "p50": _pct(calls.tokens_out[members], 50),
                    "p95": _pct(calls.tokens_out[members], 95),
                },
                "tokens_estimated": bool(calls.estimated[members].any()),
                "tool_call_share": round(dict(kinds).get("tool calls", 0) / len(members), 4),
                "cost_share": round(float(costs[members].sum()) / total_cost, 6)
                if total_cost
                else None,
                "examples": _smallest(calls.ids, members, examples),
                "centroid": [round(float(x), 6) for x in centroids[cid]],
            }
        )
    noise = np.flatnonzero(labels == NOISE)
    return clusters, {
        "size": len(noise),
        "share": round(len(noise) / total, 6) if total else 0.0,
        "cost_share": round(float(costs[noise].sum()) / total_cost, 6) if total_cost else None,
    }


def _counted(codes: np.ndarray, members: np.ndarray, names, skip: int | None = None) -> list:
    """``(name, count)`` of the codes of ``members``, most common first, ties in the order
    they first occur (as ``Counter.most_common`` orders them)."""
    found, first, counts = np.unique(codes[members], return_index=True, return_counts=True)
    order = sorted(range(len(found)), key=lambda k: (-counts[k], first[k]))
    return [(names[found[k]], int(counts[k])) for k in order if found[k] != skip]


def _smallest(ids, members: np.ndarray, k: int) -> list[str]:
    if isinstance(ids, TextColumn):
        return ids.smallest(members, k)
    return sorted(ids[i] for i in members)[:k]


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
    for k, cid in enumerate(sorted(set(labels.tolist()) - {NOISE})):
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
