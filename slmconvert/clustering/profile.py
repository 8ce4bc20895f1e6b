"""What each cluster is: a readable label, traffic and cost share, token percentiles, a centroid.

Labels use class-based TF-IDF (c-TF-IDF, as in BERTopic): each cluster's user turns are one
document, and a term scores by its frequency in the cluster times its rarity across clusters.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import numpy as np

from slmconvert.records import answer_kind

NOISE = -1


def estimated_tokens(text: str | None) -> int:
    """A rough token count (4 characters a token) for records whose log has no usage."""
    return math.ceil(len(text or "") / 4)


def prompt_text(record: dict) -> str:
    return "\n".join(m.get("content") or "" for m in record["messages"])


def answer_text(record: dict) -> str:
    response = record["response"]
    calls = " ".join(c["name"] + c["arguments"] for c in response.get("tool_calls") or [])
    return (response.get("content") or "") + calls


def tokens(record: dict) -> tuple[int, int, bool]:
    """(input tokens, output tokens, estimated?) of a record."""
    usage = record.get("usage") or {}
    inp, out = usage.get("input_tokens"), usage.get("output_tokens")
    if inp is not None and out is not None:
        return inp, out, False
    return estimated_tokens(prompt_text(record)), estimated_tokens(answer_text(record)), True


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


def _pct(values: list[int], q: float) -> int:
    return int(np.percentile(values, q)) if values else 0


def profiles(
    records: list[dict],
    labels: np.ndarray,
    vectors: np.ndarray,
    examples: int = 5,
) -> tuple[list[dict], dict]:
    """Per-cluster profiles (sorted by id) and the noise summary.

    ``vectors`` are the records' normalised embeddings; a centroid is their normalised mean.
    """
    total = len(records)
    costs = [r.get("cost_usd") for r in records]
    total_cost = sum(c for c in costs if c is not None)
    by_cluster: dict[int, list[int]] = {}
    for i, label in enumerate(labels):
        by_cluster.setdefault(int(label), []).append(i)
    docs = {}
    for cid, members in by_cluster.items():
        if cid != NOISE:
            docs[cid] = "\n".join(_first_user(records[i]) for i in members)
    words = keywords(docs)
    clusters = []
    for cid in sorted(c for c in by_cluster if c != NOISE):
        members = by_cluster[cid]
        counts = [tokens(records[i]) for i in members]
        kinds = Counter(answer_kind(records[i]["response"]) for i in members)
        tool_names = Counter(
            c["name"] for i in members for c in records[i]["response"].get("tool_calls") or []
        )
        centroid = vectors[members].mean(axis=0)
        centroid /= max(float(np.linalg.norm(centroid)), 1e-12)
        cluster_cost = sum(records[i]["cost_usd"] or 0 for i in members)
        kind_share = {k: round(n / len(members), 4) for k, n in kinds.most_common()}
        clusters.append(
            {
                "id": cid,
                "label": _label(words.get(cid, []), tool_names, kinds),
                "size": len(members),
                "share": round(len(members) / total, 6),
                "keywords": words.get(cid, []),
                "tools": [name for name, _ in tool_names.most_common(5)],
                "answer_kinds": kind_share,
                "input_tokens": {
                    "p50": _pct([c[0] for c in counts], 50),
                    "p95": _pct([c[0] for c in counts], 95),
                },
                "output_tokens": {
                    "p50": _pct([c[1] for c in counts], 50),
                    "p95": _pct([c[1] for c in counts], 95),
                },
                "tokens_estimated": any(c[2] for c in counts),
                "tool_call_share": round(
                    sum(n for k, n in kinds.items() if k.startswith("tool:")) / len(members), 4
                ),
                "cost_share": round(cluster_cost / total_cost, 6) if total_cost else None,
                "examples": sorted(records[i]["id"] for i in members)[:examples],
                "centroid": [round(float(x), 6) for x in centroid],
            }
        )
    noise = by_cluster.get(NOISE, [])
    return clusters, {"size": len(noise), "share": round(len(noise) / total, 6) if total else 0.0}


def _first_user(record: dict) -> str:
    for msg in record["messages"]:
        if msg["role"] == "user" and msg.get("content"):
            return msg["content"]
    return ""


def _label(words: list[str], tools: Counter, kinds: Counter) -> str:
    kind = kinds.most_common(1)[0][0] if kinds else "text"
    kind = "tool calls" if kind.startswith("tool:") else kind
    head = ", ".join(words[:3]) or "misc"
    tool_part = f" [{'/'.join(n for n, _ in tools.most_common(2))}]" if tools else ""
    return f"{head} → {kind}{tool_part}"


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
