"""The report's charts as PNG bytes (matplotlib, Agg backend)."""

from __future__ import annotations

import io

MAIN_METRICS = ("valid_output", "tool_call_match", "text_similarity_match")
BEFORE, AFTER, LLM, SLM = "#b0bec5", "#1565c0", "#d84315", "#00897b"


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    _pyplot().close(fig)
    return buffer.getvalue()


def _short(text: str, width: int = 34) -> str:
    text = text if len(text) <= width else text[: width - 1] + "…"
    return text.replace("$", r"\$")  # a pair of $ would start matplotlib's mathtext


MIN_SEPARATION = 0.05  # of the layout's largest distance: closer than this reads as one bubble


def _distances(matrix):
    import numpy as np

    # elementwise arithmetic, no BLAS: the same numbers on every build
    diff = matrix[:, None, :] - matrix[None, :, :]
    return np.sqrt((diff * diff).sum(axis=-1))


def _collapsed(xy, original) -> bool:
    """Whether two centroids distinct in the original space sit (nearly) on one spot in 2-D."""

    far, near = _distances(original), _distances(xy)
    distinct = far > 1e-9 * max(float(far.max()), 1e-300)
    if not distinct.any():
        return False
    scale = float(near.max())
    return scale == 0.0 or bool((near[distinct] < MIN_SEPARATION * scale).any())


def _ring(original):
    """Centroids evenly on a circle, each placed next to its nearest unplaced neighbour."""
    import numpy as np

    far = np.round(_distances(original), 9)  # ties broken by index, not by rounding noise
    order, left = [0], set(range(1, len(original)))
    while left:
        last = order[-1]
        nearest = min(left, key=lambda j: (far[last, j], j))
        order.append(nearest)
        left.remove(nearest)
    angles = 2 * np.pi * np.arange(len(order)) / len(order)
    xy = np.zeros((len(order), 2))
    xy[order] = np.column_stack([np.cos(angles), np.sin(angles)])
    return xy


def project(centroids) -> object:
    """Centroids in 2-D: PCA, or a ring when PCA would put distinct centroids on one spot.

    Equidistant centroids leave PCA's choice of components to the LAPACK build, which can
    collapse two of them; the ring is the same on every build. A single cluster sits at the
    origin.
    """
    import numpy as np
    from sklearn.decomposition import PCA

    matrix = np.asarray(centroids, dtype=np.float64)
    n, dim = matrix.shape
    xy = np.zeros((n, 2))
    k = min(2, n - 1, dim)  # PCA needs more rows than components to spread them
    if k >= 1:
        xy[:, :k] = PCA(k, random_state=0).fit_transform(matrix)
    if n > 1 and _collapsed(xy, matrix):
        return _ring(matrix)
    return xy


def cluster_map(clusters: list[dict], centroids, decisions: dict[int, str]) -> bytes:
    """Bubble map of the cluster centroids: area = calls, id in the bubble, labels in the key."""
    plt = _pyplot()
    xy = project(centroids)
    biggest = max(c["size"] for c in clusters) or 1
    cmap = plt.get_cmap("tab20")
    fig, ax = plt.subplots(figsize=(11, 6), dpi=100)
    for k, ((x, y), c) in enumerate(zip(xy, clusters, strict=True)):
        decision = decisions.get(c["id"])
        ax.scatter(
            x,
            y,
            s=200 + 4000 * c["size"] / biggest,
            color=cmap(k % 20),
            alpha=0.6,
            edgecolors="black",
            linewidths=0.6,
            label=f"{c['id']}: {_short(c['label'], 40)} · {c['size']:,} calls"
            + (f" · {decision}" if decision else ""),
        )
        ax.annotate(str(c["id"]), (x, y), ha="center", va="center", fontsize=9, weight="bold")
    ax.legend(
        loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, markerscale=0.3, frameon=False
    )
    ax.set_title("Task clusters (PCA of the centroids; bubble area = calls)")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.margins(0.2)
    fig.tight_layout()
    return _png(fig)


def loss_curves(clusters: list[dict]) -> bytes | None:
    """Training loss against step, one line per fine-tuned cluster (None when none logged)."""
    curves = [c for c in clusters if c.get("loss")]
    if not curves:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 4.5), dpi=100)
    for c in curves:
        steps, losses = zip(*c["loss"], strict=True)
        ax.plot(steps, losses, marker=".", label=f"{c['id']}: {_short(str(c.get('model', '')))}")
    ax.set_xlabel("step")
    ax.set_ylabel("training loss")
    ax.set_title("Fine-tuning loss per cluster")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return _png(fig)


def _rate(metrics: dict | None, name: str) -> dict | None:
    found = (metrics or {}).get(name)
    return found if isinstance(found, dict) and "rate" in found else None


def eval_bars(clusters: list[dict]) -> bytes | None:
    """Before/after bars per cluster for the main metrics; whiskers down to the Wilson bound."""
    import numpy as np

    metrics = [m for m in MAIN_METRICS if any(_rate(c.get("after"), m) for c in clusters)]
    if not metrics:
        return None
    plt = _pyplot()
    fig, axes = plt.subplots(
        1, len(metrics), figsize=(4.5 * len(metrics), 4.2), dpi=100, squeeze=False
    )
    for ax, metric in zip(axes[0], metrics, strict=True):
        scored = [c for c in clusters if _rate(c.get("after"), metric)]
        x = np.arange(len(scored))
        for offset, side, colour in ((-0.2, "before", BEFORE), (0.2, "after", AFTER)):
            rates = [_rate(c.get(side), metric) for c in scored]
            heights = [r["rate"] if r else 0.0 for r in rates]
            low = [r["rate"] - r["wilson_low"] if r else 0.0 for r in rates]
            ax.bar(
                x + offset,
                heights,
                0.4,
                yerr=[low, [0.0] * len(low)],
                capsize=3,
                color=colour,
                label=f"{side} fine-tuning",
            )
        ax.set_xticks(x, [str(c["id"]) for c in scored])
        ax.set_xlabel("cluster")
        ax.set_ylim(0, 1.05)
        ax.set_title(metric)
        ax.grid(axis="y", alpha=0.3)
    axes[0][0].set_ylabel("rate (whisker: Wilson 95% lower bound)")
    axes[0][0].legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    return _png(fig)


def cost_pair(savings: dict | None, monthly: bool) -> tuple[float, float] | None:
    """(LLM, SLM) USD of a rollout savings block, per month or over the logged period; None
    when either is unknown."""
    block = (savings or {}).get("monthly") if monthly else savings
    llm, slm = (block or {}).get("llm_cost_usd"), (block or {}).get("slm_cost_usd")
    if isinstance(llm, int | float) and isinstance(slm, int | float):
        return float(llm), float(slm)
    return None


def savings_chart(clusters: list[dict], monthly: bool) -> bytes | None:
    """Per cluster, the LLM's cost next to the small model's (None when no cluster has both)."""
    import numpy as np

    priced = [(c, cost_pair(c.get("savings"), monthly)) for c in clusters]
    priced = [(c, costs) for c, costs in priced if costs]
    if not priced:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 1.2 + 0.6 * len(priced)), dpi=100)
    y = np.arange(len(priced))
    ax.barh(y - 0.2, [llm for _, (llm, _) in priced], 0.4, color=LLM, label="on the LLM")
    ax.barh(y + 0.2, [slm for _, (_, slm) in priced], 0.4, color=SLM, label="on the SLM")
    for row, (_, (llm, slm)) in zip(y, priced, strict=True):
        ax.annotate(
            rf"saves \${llm - slm:,.2f}",
            (max(llm, slm), row),
            xytext=(4, -3),
            textcoords="offset points",
            fontsize=8,
        )
    ax.set_yticks(y, [f"{c['id']}: {_short(c.get('label') or '', 28)}" for c, _ in priced])
    ax.invert_yaxis()
    period = "per month" if monthly else "over the logged period"
    ax.set_xlabel(f"USD {period}")
    ax.set_title(f"Cost per cluster {period}: LLM vs small model")
    ax.margins(x=0.2)
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return _png(fig)


def slm_share(on_slm: list[bool], window: int = 50) -> bytes | None:
    """Share of calls the small models answered, over a moving window of calls."""
    import numpy as np

    if len(on_slm) < 2:
        return None
    plt = _pyplot()
    values = np.asarray(on_slm, dtype=float)
    width = min(window, len(values))
    share = np.convolve(values, np.ones(width) / width, mode="valid")
    fig, ax = plt.subplots(figsize=(9, 3.5), dpi=100)
    ax.plot(np.arange(width, len(values) + 1), 100 * share, color=SLM)
    ax.set_xlabel("calls served")
    ax.set_ylabel(f"% on SLMs (last {width})")
    ax.set_ylim(0, 100)
    ax.set_title("Traffic moved to small models, live")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _png(fig)
