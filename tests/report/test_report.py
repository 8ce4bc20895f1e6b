"""`slmconvert report WORKDIR`: one self-contained HTML page about a run."""

from __future__ import annotations

import shutil
from pathlib import Path

import orjson
import pytest
from report_page import PNG_MAGIC, Page, png_of
from report_workdir import CLUSTERS, FACTOR, MONTHLY, build_workdir, rollout_doc

from slmconvert.core.errors import InputError
from slmconvert.deploy.rollout import problems
from slmconvert.report import write_report
from slmconvert.report.charts import cluster_map, project, savings_chart

MONEY = {"llm_cost_usd": 12.0, "slm_cost_usd": 2.0}
SECTIONS = ["stages", "clusters", "selection", "finetune", "eval", "rollout", "live"]
OFFLINE = SECTIONS[:-1]  # the live rollout needs a gateway run (below)


@pytest.fixture(scope="module")
def report(workdir) -> Path:
    """The report of the full run, written once for the tests that only read it."""
    return write_report(workdir)


def test_a_full_run_gets_every_section_with_tables_and_charts(workdir, report):
    assert report == workdir / "report.html"
    page = Page(report.read_text(encoding="utf-8"))
    assert list(page.sections) == SECTIONS
    assert all(page.tables[s] == 1 for s in OFFLINE)
    assert "python -m slmconvert.gateway.live" in page.sections["live"]
    charts = {s: len(page.images[s]) for s in OFFLINE}
    assert charts == {
        "stages": 0,
        "clusters": 1,
        "selection": 0,
        "finetune": 1,
        "eval": 1,
        "rollout": 1,
    }
    for src in sum(page.images.values(), []):
        assert len(png_of(src)) > 5_000
    assert "not run yet" not in "".join(page.sections.values())


def test_the_page_shows_each_stages_numbers(report):
    page = Page(report.read_text(encoding="utf-8"))

    for _, label, size, _ in CLUSTERS:
        assert label in page.sections["clusters"]
        assert f"{size:,}" in page.sections["clusters"]
    assert "Qwen3-1.7B" in page.sections["selection"]
    assert "too few training examples" in page.sections["finetune"]
    # tool_call_match went from 30/120 to 116/120
    assert "25.0% (30/120)" in page.sections["eval"]
    assert "96.7% (116/120)" in page.sections["eval"]
    assert "+71.7 pt" in page.sections["eval"]
    rollout = page.sections["rollout"]
    assert all(d in rollout for d in ("promote", "hold", "stay_on_llm", "passed", "failed"))
    promoted = MONTHLY[0][0] - MONTHLY[0][1]
    held_too = promoted + MONTHLY[1][0] - MONTHLY[1][1]
    assert "saved $/month" in rollout
    assert f"${promoted:,.2f}" in rollout and f"${held_too:,.2f}" in rollout


def test_short_logs_show_savings_over_the_logged_period(fresh_copy):
    path = fresh_copy / "07_deploy" / "rollout.json"
    doc = orjson.loads(path.read_bytes())
    for block in [c["savings"] for c in doc["clusters"]] + [doc["savings"]["promoted"]]:
        block["monthly"] = None
    doc["savings"]["period"]["note"] = "the logs span 2.0 hours; monthly figures left out"
    path.write_bytes(orjson.dumps(doc))

    page = Page(write_report(fresh_copy).read_text(encoding="utf-8"))

    rollout = page.sections["rollout"]
    assert "saved $ (logged period)" in rollout and "monthly figures left out" in rollout
    saved = (MONTHLY[0][0] - MONTHLY[0][1]) / FACTOR
    assert f"${saved:,.2f}" in rollout
    assert len(page.images["rollout"]) == 1


def test_the_rollout_written_here_follows_the_deploy_schema():
    assert problems(rollout_doc()) == []


def test_labels_are_escaped_not_run(report):
    text = report.read_text(encoding="utf-8")

    assert "<script>" not in text
    assert "refunds &lt;script&gt;alert(1)&lt;/script&gt; &amp; returns" in text


def test_stage_dirs_with_other_names_and_missing_stages(tmp_path):
    names = {"collect": "collect", "pii": "pii", "cluster": "cluster", "select": "select"}
    workdir = build_workdir(tmp_path / "work", names, last="select")
    (workdir / "cluster" / "centroids.npy").unlink()  # the map falls back to clusters.json
    (workdir / "notes").mkdir()  # not a stage directory: ignored

    path = write_report(workdir, output=tmp_path / "out" / "page.html")

    assert path == tmp_path / "out" / "page.html"
    page = Page(path.read_text(encoding="utf-8"))
    assert len(page.images["clusters"]) == 1
    assert page.tables["selection"] == 1
    for section in ("finetune", "eval", "rollout"):
        assert "not run yet" in page.sections[section]
        assert page.images[section] == []


def test_a_rerun_stage_is_reported_from_its_latest_directory(fresh_copy):
    shutil.copytree(fresh_copy / "03_cluster", fresh_copy / "08_cluster")

    page = Page(write_report(fresh_copy).read_text(encoding="utf-8"))

    assert "08_cluster/" in page.sections["stages"]
    assert "03_cluster/ and 08_cluster/ are both 'cluster' stages" in page.sections["stages"]


def test_a_directory_without_stage_directories_is_refused(tmp_path):
    with pytest.raises(InputError, match="holds no stage directories") as caught:
        write_report(tmp_path)
    assert "\n" not in str(caught.value)
    with pytest.raises(InputError, match="no such directory"):
        write_report(tmp_path / "missing")


def test_a_stage_directory_is_not_a_work_directory(workdir):
    with pytest.raises(InputError, match="pass the parent directory"):
        write_report(workdir / "03_cluster")


def _min_separation(xy):
    import numpy as np

    gaps = [np.hypot(*(a - b)) for i, a in enumerate(xy) for b in xy[i + 1 :]]
    return min(gaps) / max(gaps)


def test_the_projection_keeps_distinct_centroids_apart():
    import numpy as np

    for n in (3, 4, 6, 9):  # equidistant: PCA's components depend on the LAPACK build
        xy = project(np.eye(n))
        assert xy.shape == (n, 2)
        assert _min_separation(xy) >= 0.05, n
    assert project(np.ones((1, 8))).tolist() == [[0.0, 0.0]]


def test_the_projection_keeps_pca_where_it_separates_the_centroids():
    import numpy as np

    line = np.outer(np.arange(5.0), np.ones(8))  # five points on a line: PCA keeps their order
    xy = project(line)

    assert _min_separation(xy) >= 0.05
    assert np.all(np.diff(xy[:, 0]) > 0) or np.all(np.diff(xy[:, 0]) < 0)
    assert np.allclose(xy[:, 1], 0.0)


def test_identical_centroids_may_share_a_spot_without_breaking_the_map():
    import numpy as np

    xy = project(np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]))

    assert np.allclose(xy[0], xy[1])
    assert not np.allclose(xy[0], xy[2])


def test_dollar_signs_in_labels_are_drawn_as_text():
    import numpy as np

    money = [{"id": 0, "label": "pay $x^$ now", "size": 3}]

    assert cluster_map(money, np.ones((1, 4)), {}).startswith(PNG_MAGIC)
    assert savings_chart([{**money[0], "savings": MONEY}], monthly=False).startswith(PNG_MAGIC)


def test_the_cli_writes_the_page(cli, workdir, tmp_path):
    result = cli("report", workdir, "--output", tmp_path / "r.html")

    assert result.exit_code == 0, result.output
    assert f"report: {tmp_path / 'r.html'}" in result.output
    assert (tmp_path / "r.html").stat().st_size > 20_000


def test_the_cli_explains_a_wrong_directory(cli, tmp_path):
    result = cli("report", tmp_path)

    assert result.exit_code == 2
    assert "holds no stage directories" in result.stderr


def test_a_live_run_shows_the_share_on_slms_and_each_transition(fresh_copy):
    from slmconvert.gateway.flylog import FlywheelLog
    from slmconvert.gateway.state import RUNNING, RolloutState

    live = fresh_copy / "08_live"
    live.mkdir()
    store = RolloutState(live / "state.sqlite")
    store.ensure([0])
    store.move(0, "advance", 1, RUNNING, "agreement bound 0.81 >= 0.7", {"scored": 20,
               "agreement": 0.95, "wilson_low": 0.81})  # fmt: skip
    log = FlywheelLog(live / "served")
    for i in range(120):
        arm = "slm" if i > 60 and i % 3 else ("fallback" if i == 99 else "shadow")
        log.write({"messages": []}, {"choices": []}, cluster=0, arm=arm, client_id=None,
                  latency_ms=5.0 + i, fallback="schema_violation" if arm == "fallback" else None)  # fmt: skip
    log.close()
    (live / "live.json").write_bytes(orjson.dumps({"events": store.events()}))

    page = Page(write_report(fresh_copy).read_text(encoding="utf-8"))

    section = page.sections["live"]
    assert len(page.images["live"]) == 1 and page.tables["live"] == 2
    assert "agreement bound 0.81 &gt;= 0.7" in section or "agreement bound 0.81 >= 0.7" in section
    assert "schema_violation: 1" in section
