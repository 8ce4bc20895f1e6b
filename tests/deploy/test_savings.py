"""Savings: logged or priced LLM cost against the small model's serving cost, and monthly figures."""

from __future__ import annotations

import pytest

from slmconvert.core.records import message, new_record, tool_call
from slmconvert.deploy import savings

SOURCE = {"format": "openai", "file": "agent.jsonl", "line": 1}


def call(i: int, cluster: int, cost=None, tokens=(1000, 100), day: int = 1, hour: int = 0):
    rec = new_record(
        source={**SOURCE, "line": i},
        messages=[message("user", f"Where is order {i}?")],
        response=message("assistant", tool_calls=[tool_call("get_order", {"id": str(i)})]),
        input_tokens=None if tokens is None else tokens[0],
        output_tokens=None if tokens is None else tokens[1],
        cost_usd=cost,
        model="gpt-4o",
        timestamp=f"2025-05-{day:02d}T{hour:02d}:00:00Z",
    )
    rec["cluster_id"] = cluster
    return rec


def test_logged_costs_are_summed_and_compared_on_the_same_calls():
    records = [call(i, 0, cost=0.01, day=1 + i) for i in range(10)] + [call(10, 0, day=11)]

    traffic = savings.tally([records])
    span = savings.period(traffic.start, traffic.end)
    block = savings.cluster_savings(traffic.clusters[0], 0.05, span["monthly_factor"], 0.2)

    assert (block["calls"], block["priced_calls"], block["llm_cost_source"]) == (11, 10, "logged")
    assert block["llm_cost_usd"] == pytest.approx(0.1)
    assert block["slm_cost_usd"] == pytest.approx(10 * 1100 * 0.05 / 1e6)
    assert block["saving_usd"] == pytest.approx(block["llm_cost_usd"] - block["slm_cost_usd"])
    assert block["llm_cost_share"] == 0.5
    kept = savings.cluster_savings(
        traffic.clusters[0], 0.05, span["monthly_factor"], 0.2, llm_kept=0.1
    )
    assert kept["saving_usd"] == pytest.approx(0.9 * block["llm_cost_usd"] - block["slm_cost_usd"])
    assert kept["monthly"]["saving_usd"] < block["monthly"]["saving_usd"]
    assert span["days"] == 10 and span["monthly_factor"] == 3
    assert block["monthly"]["calls"] == 33  # 11 calls in 10 days
    assert block["monthly"]["llm_cost_usd"] == pytest.approx(0.01 * 33)
    assert traffic.models == {"gpt-4o": 11}


def test_a_price_table_prices_calls_without_cost_and_estimates_missing_tokens():
    records = [call(0, 0, cost=0.5), call(1, 0, tokens=(2000, 200)), call(2, 0, tokens=None)]

    traffic = savings.tally([records], savings.Prices(input=2.0, output=10.0))
    usage = traffic.clusters[0]

    assert usage.priced_calls == 3 and usage.source == "logged + price table"
    assert usage.tokens_estimated_calls == 1
    estimated_in, estimated_out, estimated = savings.call_tokens(records[2])
    assert estimated and estimated_in > 0 and estimated_out > 0
    table = (2000 * 2 + 200 * 10 + estimated_in * 2 + estimated_out * 10) / 1e6
    assert usage.llm_cost == pytest.approx(0.5 + table)


def test_without_cost_or_prices_savings_are_unknown():
    traffic = savings.tally([[call(0, 4), call(1, 4)]])

    block = savings.cluster_savings(traffic.clusters[4], 0.05, 1.0, None)

    assert block["llm_cost_usd"] is None and block["saving_usd"] is None
    assert block["llm_cost_source"] is None and block["monthly"] is None


def test_a_span_under_a_day_leaves_monthly_figures_out():
    records = [call(i, 0, cost=0.01, hour=i) for i in range(5)]

    traffic = savings.tally([records])
    span = savings.period(traffic.start, traffic.end)

    assert span["days"] == pytest.approx(4 / 24, abs=1e-4)
    assert span["monthly_factor"] is None and "under 1 day" in span["note"]
    assert savings.cluster_savings(traffic.clusters[0], 0.05, None, None)["monthly"] is None
    assert savings.period(None, None)["note"].startswith("the records carry no timestamps")


def test_totals_are_the_sums_of_the_clusters():
    records = [call(i, i % 3, cost=0.01 * (1 + i % 3), day=1 + i % 20) for i in range(60)]
    traffic = savings.tally([records])
    factor = savings.period(traffic.start, traffic.end)["monthly_factor"]
    blocks = [savings.cluster_savings(traffic.clusters[c], 0.05, factor, None) for c in range(3)]

    total = savings.total(blocks, traffic.all_calls.llm_cost)

    assert total["clusters"] == 3 and total["calls"] == 60
    for key in ("llm_cost_usd", "slm_cost_usd", "saving_usd"):
        assert total[key] == pytest.approx(sum(b[key] for b in blocks))
        assert total["monthly"][key] == pytest.approx(sum(b["monthly"][key] for b in blocks))
    assert total["share_of_all_llm_cost"] == pytest.approx(total["saving_share"], abs=1e-4)
