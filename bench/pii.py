"""Benchmark the pii Scrubber against the naive way on generated agent logs.

Records are built by a seeded generator shaped like real agent logs: one record per LLM call,
sessions of three calls that re-send the growing history, four shared system prompts, five
shared tools, and per-session customers (name, email, phone, address, order ids) in user turns,
tool-call arguments, JSON tool results and answers.

Naive way: one ``AnalyzerEngine.analyze`` call per string of every record (message contents,
raw argument and result strings, tool descriptions and schemas), same recognizers and
threshold, one process, spans replaced in place. It is timed on a subset and extrapolated.
Ours: ``Scrubber.scrub_batch`` (one process) and ``Scrubber.scrub_parallel`` (N workers), each
with a fresh cache, on all records, fed in batches as the stage would.

    python bench/pii.py                      # 100,000 records, naive on 2,000
    python bench/pii.py --records 20000 --naive-records 1000
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import resource
import sys
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from slmconvert.core.records import message, new_record, tool, tool_call  # noqa: E402
from slmconvert.pii import PiiSettings  # noqa: E402

SYSTEM_PROMPTS = [
    (
        f"You are {brand}'s customer support agent. Be concise and polite. "
        "Use lookup_order to find an order by id, get_tracking for shipment events, "
        "issue_refund only after confirming the amount, update_address when the customer moves, "
        "and escalate when the customer is angry or asks for a human. Never reveal internal notes. "
        "Orders look like ORD-2025-004812, SKUs like SKU-88321. Refunds over $500.00 need approval. "
        "Business hours are 09:00-17:00 UTC, Monday to Friday. " * 4
    )
    for brand in ("Acme", "Globex", "Initech", "Umbrella")
]

TOOLS = [
    tool(
        "lookup_order",
        "Look up an order by its id (ORD-YYYY-NNNNNN) and return status, items and customer.",
        {"type": "object", "properties": {"order_id": {"type": "string"}}},
    ),
    tool(
        "get_tracking",
        "Return the carrier events for a tracking number, newest first.",
        {"type": "object", "properties": {"tracking_number": {"type": "string"}}},
    ),
    tool(
        "issue_refund",
        "Refund an amount in USD to the original payment method.",
        {
            "type": "object",
            "properties": {"order_id": {"type": "string"}, "amount": {"type": "number"}},
        },
    ),
    tool(
        "update_address",
        "Change the shipping address of an order that has not shipped yet.",
        {
            "type": "object",
            "properties": {"order_id": {"type": "string"}, "address": {"type": "string"}},
        },
    ),
    tool("escalate", "Hand the conversation to a human agent with a short summary."),
]

USER_TEMPLATES = [
    "Hi, I'm {name}. My order {order} hasn't arrived yet. You can reach me at {email} or {phone}.",
    "hello, order {order} shows delivered but I never got it. email: {email}",
    "This is {name}, please call me on {phone} about {order}, I was charged twice!",
    "Where is my package? Order number {order}. I moved to {street}, {city}.",
    "Can I get a refund for {order}? The item {sku} was broken. Thanks, {name} ({email})",
    "my card ending {last4} was charged for {order} but I cancelled it. phone {phone}",
]

FINAL_TEMPLATES = [
    "Thanks {first}! Order {order} is {status}; it left {city} on {date} with tracking {tracking}.",
    "I've refunded ${amount} for {order} to your card. A confirmation goes to {email}.",
    "Your order {order} is {status}. We'll text {phone} when it is out for delivery.",
]


def build_records(n: int, seed: int = 7) -> list[dict]:
    """``n`` canonical records: sessions of 3 LLM calls with shared prompts and tools."""
    from faker import Faker

    fake = Faker("en_US")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    skus = [f"SKU-{rng.randint(10000, 99999)}" for _ in range(200)]
    records: list[dict] = []
    session = 0
    while len(records) < n:
        session += 1
        system = message("system", SYSTEM_PROMPTS[session % len(SYSTEM_PROMPTS)])
        name = fake.name()
        v = {
            "name": name,
            "first": name.split()[0],
            "email": fake.email(),
            "phone": fake.numerify("(%##) 555-####"),
            "order": f"ORD-2025-{rng.randint(0, 999999):06d}",
            "street": fake.street_address(),
            "city": fake.city(),
            "sku": rng.choice(skus),
            "last4": f"{rng.randint(0, 9999):04d}",
            "tracking": f"1Z{rng.randint(0, 10**16):016d}",
            "status": rng.choice(["shipped", "in transit", "delayed", "delivered"]),
            "date": f"2025-05-{rng.randint(1, 28):02d}",
            "amount": f"{rng.randint(5, 400)}.{rng.randint(0, 99):02d}",
        }
        user = message("user", rng.choice(USER_TEMPLATES).format(**v))
        call1 = tool_call("lookup_order", {"order_id": v["order"]}, id=f"c{session}a")
        result1 = {
            "order_id": v["order"],
            "status": v["status"],
            "placed_at": f"{v['date']}T10:{rng.randint(0, 59):02d}:00Z",
            "customer": {
                "name": name,
                "email": v["email"],
                "phone": int("1" + "".join(c for c in v["phone"] if c.isdigit())),
                "address": f"{v['street']}, {v['city']}",
            },
            "items": [
                {
                    "sku": rng.choice(skus),
                    "qty": rng.randint(1, 3),
                    "price": rng.randint(500, 20000) / 100,
                }
                for _ in range(rng.randint(1, 3))
            ],
            "tracking_number": v["tracking"],
            "customer_id": rng.randint(10000, 99999),
        }
        call2 = tool_call("get_tracking", {"tracking_number": v["tracking"]}, id=f"c{session}b")
        result2 = {
            "carrier": "UPS",
            "events": [
                {"at": f"2025-05-{d:02d}T0{d % 10}:00:00Z", "where": fake.city(), "what": "scan"}
                for d in range(1, rng.randint(2, 5))
            ],
        }
        history = [system, user]
        steps = [
            (
                message("assistant", None, [call1]),
                message("tool", orjson.dumps(result1).decode(), tool_call_id=call1["id"]),
            ),
            (
                message("assistant", None, [call2]),
                message("tool", orjson.dumps(result2).decode(), tool_call_id=call2["id"]),
            ),
        ]
        answers = [
            message("assistant", None, [call1]),
            message("assistant", None, [call2]),
            message("assistant", rng.choice(FINAL_TEMPLATES).format(**v)),
        ]
        for i, answer in enumerate(answers):
            records.append(
                new_record(
                    source={"format": "bench", "file": "gen", "line": len(records)},
                    messages=list(history),
                    response=answer,
                    tools=TOOLS,
                )
            )
            if i < len(steps):
                history += list(steps[i])
    return records[:n]


def record_strings(rec: dict) -> list[tuple[dict, str]]:
    """Every string field of a record, as (holder, key), the way a naive scrubber sees them."""
    out = []
    for msg in [*rec["messages"], rec["response"]]:
        out.append((msg, "content"))
        out.extend((call, "arguments") for call in msg["tool_calls"])
    for t in rec["tools"]:
        out += [(t, "description"), (t, "parameters")]
    return [(h, k) for h, k in out if isinstance(h.get(k), str)]


def naive(records: list[dict], settings: PiiSettings) -> float:
    """The naive way: one ``AnalyzerEngine.analyze`` per string; returns seconds."""
    from slmconvert.pii.engine import build_analyzer

    analyzer = build_analyzer(settings)
    engine, entities = analyzer.engine, list(analyzer.info.entities)
    start = time.perf_counter()
    for rec in records:
        rec = orjson.loads(orjson.dumps(rec))
        for holder, key in record_strings(rec):
            text = holder[key]
            results = engine.analyze(
                text=text,
                language="en",
                entities=entities,
                score_threshold=settings.score_threshold,
            )
            for r in sorted(results, key=lambda r: -r.start):
                text = text[: r.start] + f"<{r.entity_type}>" + text[r.end :]
            holder[key] = text
    return time.perf_counter() - start


def ours(
    records: list[dict], settings: PiiSettings, workers: int, batch: int
) -> tuple[float, float, float, str, dict]:
    """Scrubber on all records in batches.

    Returns (wall s, this process's CPU s, worker processes' CPU s, output digest, report);
    worker CPU is counted once the pool is joined.
    """
    from slmconvert.pii.scrub import Scrubber

    digest = hashlib.blake2b(digest_size=12)
    wall = 0.0
    cpu0 = time.process_time()
    children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    with Scrubber(settings) as scrubber:
        report = scrubber.new_report()
        if workers > 1:
            scrubber.scrub_parallel(records[:1], workers)  # start the pool outside the timing
            scrubber._cache.clear()
        for i in range(0, len(records), batch):
            chunk = records[i : i + batch]
            start = time.perf_counter()
            if workers > 1:
                kept, rep = scrubber.scrub_parallel(chunk, workers)
            else:
                kept, rep = scrubber.scrub_batch(chunk)
            wall += time.perf_counter() - start
            report.merge(rep)
            digest.update(orjson.dumps(kept, option=orjson.OPT_SORT_KEYS))
    children1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = time.process_time() - cpu0
    child = (children1.ru_utime + children1.ru_stime) - (children0.ru_utime + children0.ru_stime)
    return wall, cpu, child, digest.hexdigest(), report.to_dict()


def _spin(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i
    return total


def free_cores(n: int = 4_000_000) -> float:
    """How many cores two busy processes actually get right now (2.0 on an idle machine)."""
    import multiprocessing

    start = time.perf_counter()
    _spin(n)
    one = time.perf_counter() - start
    with multiprocessing.get_context("fork").Pool(2) as pool:
        start = time.perf_counter()
        pool.map(_spin, [n, n])
        two = time.perf_counter() - start
    return 2 * one / two


def main() -> None:
    """Build the records, time both ways, print the table."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--naive-records", type=int, default=2_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--batch", type=int, default=10_000)
    args = ap.parse_args()

    settings = PiiSettings(
        custom_recognizers=[{"entity": "CUSTOMER_ID", "regex": r"CUST-\d{6}", "score": 0.9}]
    )
    t0 = time.perf_counter()
    records = build_records(args.records)
    print(f"built {len(records):,} records in {time.perf_counter() - t0:.1f}s", flush=True)

    from slmconvert.pii.engine import build_analyzer

    t0 = time.perf_counter()
    build_analyzer(settings)
    print(f"analyzer built in {time.perf_counter() - t0:.1f}s (not timed below)", flush=True)

    subset = records[: args.naive_records]
    cpu0 = time.process_time()
    naive_s = naive(subset, settings)
    naive_cpu = (time.process_time() - cpu0) * len(records) / len(subset)
    naive_rate = len(subset) / naive_s
    naive_full = len(records) / naive_rate
    cores_before = free_cores()
    serial_s, serial_cpu, _, serial_digest, report = ours(records, settings, 1, args.batch)
    par_s, par_parent, par_workers, par_digest, _ = ours(
        records, settings, args.workers, args.batch
    )
    par_cpu = par_parent + par_workers
    cores_after = free_cores()

    rows = [
        (
            f"naive: analyze() per string, 1 process (timed on {len(subset):,}, extrapolated)",
            naive_full,
            naive_cpu,
        ),
        ("Scrubber.scrub_batch, 1 process", serial_s, serial_cpu),
        (f"Scrubber.scrub_parallel, {args.workers} workers", par_s, par_cpu),
    ]
    print()
    print(
        f"{'method':<78} {'records':>8} {'wall s':>7} {'CPU s':>7} {'records/s':>9} {'vs naive':>8}"
    )
    for label, secs, cpu in rows:
        rate = len(records) / secs
        print(
            f"{label:<78} {len(records):>8,} {secs:>7.1f} {cpu:>7.1f} {rate:>9,.0f} "
            f"{rate / naive_rate:>7.1f}x"
        )
    print()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"machine: {os.cpu_count()} cores; two busy processes got {cores_before:.1f} cores before "
        f"the runs and {cores_after:.1f} after (2.0 = idle); load average at the end {load}"
    )
    estimate = par_parent + par_workers / args.workers
    print(
        f"parallel CPU: this process {par_parent:.1f}s, {args.workers} workers {par_workers:.1f}s "
        f"-> on {args.workers} idle cores about {estimate:.0f}s wall "
        f"({len(records) / estimate:,.0f} records/s, {len(records) / estimate / naive_rate:.0f}x "
        f"naive) [estimate: this process's CPU + workers' CPU / {args.workers}]"
    )
    print(f"serial and parallel outputs identical: {serial_digest == par_digest}")
    print(
        f"strings: {report['strings_seen']:,} seen, {report['strings_distinct']:,} distinct per "
        f"batch, {report['strings_cached']:,} served from the cache, {report['strings_analysed']:,} "
        f"analysed by Presidio, {report['strings_skipped']:,} ruled out by the pre-filter"
    )
    print(
        f"records touched {report['records_touched']:,}; NER {'on' if report['ner'] else 'off'}, "
        f"missed without NER: {report['ner_missing']}"
    )
    print(f"entities: {report['entities']}")
    print(f"locations: {report['locations']}")


if __name__ == "__main__":
    main()
