"""Scrubbing canonical records: nothing injected survives, IDs do, modes, consistency, speed paths."""

from __future__ import annotations

import copy
import logging
import random
import re

import orjson
import pytest

from slmconvert.core.records import message, new_record, tool, tool_call
from slmconvert.pii import LOCATIONS, PiiSettings
from slmconvert.pii.scrub import Scrubber

CUSTOM = [{"entity": "CUSTOMER_ID", "regex": r"CUST-\d{6}", "score": 0.9}]
ORDINARY = [
    "ORD-2025-004812",
    "SKU-88321",
    "2025-05-01T10:00:00Z",
    "$129.99",
    "1Z999AA10123456784",
]
AREA_CODES = (212, 213, 305, 312, 415, 503, 617, 646, 702, 818)
PEM_BODY = "MIIEowIBAAKCAQEA7b9xQ2w3e4r5t6y7u8i9o0pLkJhGfDsA"
SHARED = {
    "admin_email": "it-admin@acme-corp.com",
    "openai_key": "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z",
    "db_password": "hunter2pass",
    "support_phone": "+1 (415) 555-0199",
    "escalation_email": "escalations@acme-corp.com",
}
SYSTEM_PROMPT = (
    "You are Acme's support agent. Escalate to {admin_email}. Internal key: {openai_key}. "
    "Orders live in postgres://svc:{db_password}@db.acme.internal:5432/orders."
).format(**SHARED)
TOOLS = [
    tool(
        "lookup_order",
        "Find an order by id such as ORD-2025-004812. Phone support: {support_phone}.".format(
            **SHARED
        ),
        {
            "type": "object",
            "properties": {
                "order_id": {"type": "string", "description": "e.g. ORD-2025-004812"},
                "email": {
                    "type": "string",
                    "description": "Escalate to {escalation_email}".format(**SHARED),
                },
            },
        },
    ),
    tool("escalate", "Hand over to a human."),
]


def build_corpus(n: int = 12, seed: int = 1234) -> tuple[list[dict], list[str]]:
    """``n`` records with known personal data and secrets in every location; also the values."""
    rng = random.Random(seed)
    records, injected = [], list(SHARED.values())
    for i in range(n):
        v = {
            "email": f"customer{i}.{rng.randint(100, 999)}@mailbox{i}.net",
            "phone": f"+1 {rng.choice(AREA_CODES)}-555-{rng.randint(1000, 9999)}",
            "phone_int": int(f"{rng.choice(AREA_CODES)}555{rng.randint(1000, 9999)}"),
            "ssn": f"{rng.randint(101, 665)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}",
            "customer": f"CUST-{rng.randint(100000, 999999)}",
            "ip": f"203.0.113.{rng.randint(2, 250)}",
            "aws": f"AKIA{''.join(rng.choice('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567') for _ in range(16))}",
            "github": "ghp_" + "".join(rng.choice("abcdefghijkLMNOP0123456789") for _ in range(36)),
            "bearer": "tok" + "".join(rng.choice("abcdef0123456789") for _ in range(29)),
            "anthropic": "sk-ant-api03-"
            + "".join(rng.choice("abcXYZ0123456789_-") for _ in range(32)),
        }
        injected += [str(x) for x in v.values()]
        user = (
            f"Hi, my order ORD-2025-004812 (SKU-88321, $129.99) is late. I'm {v['customer']}. "
            f"Email {v['email']} or call {v['phone']}. SSN {v['ssn']}, logged in from {v['ip']}."
        )
        call = tool_call(
            "lookup_order",
            {
                "order_id": "ORD-2025-004812",
                "email": v["email"],
                "phone": v["phone_int"],
                "count": 48213,
                "notes": [f"customer {v['customer']} says key {v['aws']} leaked"],
            },
            id=f"call_{i}",
        )
        result = {
            "status": "shipped",
            "placed_at": "2025-05-01T10:00:00Z",
            "total": "$129.99",
            "tracking": "1Z999AA10123456784",
            # The phone as a number in half the results, as a string in the others.
            "customer": {
                "email": v["email"],
                "phone": v["phone_int"] if i % 2 else str(v["phone_int"]),
                "id": 48213,
            },
            "debug": {"authorization": f"Bearer {v['bearer']}", "anthropic_key": v["anthropic"]},
        }
        messages = [
            message("system", SYSTEM_PROMPT),
            message("user", user),
            message("assistant", f"Let me check. I noted your email {v['email']}.", [call]),
            message("tool", orjson.dumps(result).decode(), tool_call_id=f"call_{i}"),
        ]
        if i % 3 == 0:  # a plain-text tool result too
            messages.append(message("tool", f"audit: {v['ssn']} from {v['ip']}", tool_call_id="t"))
        answer = (
            f"Your order ORD-2025-004812 shipped on 2025-05-01T10:00:00Z, tracking 1Z999AA10123456784. "
            f"We'll email {v['email']}. (debug {v['github']})\n"
            f"-----BEGIN PRIVATE KEY-----\n{PEM_BODY}\n-----END PRIVATE KEY-----"
        )
        records.append(
            new_record(
                source={"format": "test", "line": i},
                messages=messages,
                tools=TOOLS,
                response=message("assistant", answer),
            )
        )
    injected.append(PEM_BODY)
    return records, injected


def dump(obj) -> bytes:
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)


@pytest.fixture(scope="module")
def corpus():
    return build_corpus()


@pytest.fixture(scope="module")
def placeholder(corpus):
    """(scrubbed records, report) in placeholder mode with the customer-id regex."""
    records, _ = corpus
    with Scrubber(PiiSettings(custom_recognizers=CUSTOM)) as scrubber:
        return scrubber.scrub_batch(records)


def test_no_injected_value_survives_anywhere(corpus, placeholder):
    records, injected = corpus
    out, report = placeholder
    blob = dump(out)
    assert len(out) == len(records)
    leaked = [i for i, value in enumerate(injected) if value.encode() in blob]
    assert leaked == [], f"{len(leaked)} injected values survived (indexes {leaked})"
    for location in LOCATIONS:
        assert report.locations[location] > 0, location
    assert report.records_touched == len(records) and report.records_dropped == 0


def test_every_location_is_scrubbed_and_json_stays_valid(placeholder):
    out, _ = placeholder
    rec = out[0]
    system, user, assistant, result, text_result = rec["messages"]
    assert "<EMAIL_ADDRESS_1>" in system["content"] and "<URL_CREDENTIALS_1>" in system["content"]
    assert "<CUSTOMER_ID_1>" in user["content"] and "<US_SSN_1>" in user["content"]
    args = orjson.loads(assistant["tool_calls"][0]["arguments"])
    assert (
        assistant["tool_calls"][0]["arguments"]
        == orjson.dumps(args, option=orjson.OPT_SORT_KEYS).decode()
    )
    assert args["phone"].startswith("<PHONE_NUMBER_") and args["count"] == 48213
    assert args["notes"] == ["customer <CUSTOMER_ID_1> says key <AWS_ACCESS_KEY_ID_1> leaked"]
    res = orjson.loads(result["content"])
    assert res["debug"] == {
        "anthropic_key": "<ANTHROPIC_API_KEY_1>",
        "authorization": "Bearer <BEARER_TOKEN_1>",
    }
    assert text_result["content"] == "audit: <US_SSN_1> from <IP_ADDRESS_1>"
    desc = rec["tools"][0]["description"]
    assert "<PHONE_NUMBER_" in desc and "ORD-2025-004812" in desc
    params = orjson.loads(rec["tools"][0]["parameters"])
    assert params["properties"]["email"]["description"].startswith("Escalate to <EMAIL_ADDRESS_")
    assert "<GITHUB_TOKEN_1>" in rec["response"]["content"]
    assert "<PRIVATE_KEY_1>" in rec["response"]["content"]


def test_placeholders_are_consistent_and_numbered_by_first_appearance(placeholder):
    out, _ = placeholder
    for rec in out:
        blob = dump(rec).decode()
        # The customer's email appears in user text, arguments, results and the answer:
        # one placeholder for it; the admin email in the system prompt came first.
        system_email = re.findall(r"<EMAIL_ADDRESS_\d+>", rec["messages"][0]["content"])
        assert system_email == ["<EMAIL_ADDRESS_1>"]
        user_email = re.findall(r"<EMAIL_ADDRESS_\d+>", rec["messages"][1]["content"])
        assert user_email == ["<EMAIL_ADDRESS_2>"]
        args = orjson.loads(rec["messages"][2]["tool_calls"][0]["arguments"])
        result = orjson.loads(rec["messages"][3]["content"])
        assert args["email"] == result["customer"]["email"] == "<EMAIL_ADDRESS_2>"
        assert "<EMAIL_ADDRESS_2>" in rec["response"]["content"]
        # The phone stored as an integer in the arguments and as a string in the result.
        assert args["phone"] == result["customer"]["phone"]
        numbers = sorted({int(n) for n in re.findall(r"<EMAIL_ADDRESS_(\d+)>", blob)})
        assert numbers == list(range(1, len(numbers) + 1))


def test_ordinary_ids_timestamps_and_amounts_pass_through(corpus, placeholder):
    records, _ = corpus
    out, _ = placeholder
    for before, after in zip(records, out, strict=True):
        raw_before, raw_after = dump(before), dump(after)
        for value in ORDINARY:
            assert raw_after.count(value.encode()) == raw_before.count(value.encode()), value
        args = orjson.loads(after["messages"][2]["tool_calls"][0]["arguments"])
        assert args["order_id"] == "ORD-2025-004812" and args["count"] == 48213
        result = orjson.loads(after["messages"][3]["content"])
        assert result["customer"]["id"] == 48213 and result["placed_at"] == "2025-05-01T10:00:00Z"


def test_user_regex_recognizer_is_needed_for_customer_ids(corpus):
    records, _ = corpus
    with Scrubber(PiiSettings()) as scrubber:
        out, report = scrubber.scrub_batch(records[:1])
    assert re.search(r"CUST-\d{6}", out[0]["messages"][1]["content"])
    assert "CUSTOMER_ID" not in report.entities


def test_input_records_are_not_modified(corpus):
    records, _ = corpus
    before = copy.deepcopy(records)
    with Scrubber(PiiSettings(mode="surrogate", custom_recognizers=CUSTOM)) as scrubber:
        scrubber.scrub_batch(records)
    assert records == before


def test_running_twice_gives_identical_output(corpus, placeholder):
    records, _ = corpus
    with Scrubber(PiiSettings(custom_recognizers=CUSTOM)) as scrubber:
        again, report = scrubber.scrub_batch(records)
        cached, _ = scrubber.scrub_batch(records)  # second batch served from the cache
    assert dump(again) == dump(placeholder[0]) == dump(cached)
    assert report.to_dict() == placeholder[1].to_dict()


def test_report_and_logs_never_hold_a_value(corpus, placeholder, caplog):
    records, injected = corpus
    _, report = placeholder
    with caplog.at_level(logging.DEBUG):
        with Scrubber(PiiSettings(custom_recognizers=CUSTOM, score_threshold=0.45)) as scrubber:
            scrubber.scrub_batch(records)
    text = dump(report.to_dict()) + caplog.text.encode()
    assert [v for v in injected if v.encode() in text] == []
    summary = report.to_dict()
    assert summary["entities"]["EMAIL_ADDRESS"] > 0 and summary["ner"] is False
    assert set(summary["by_location"]) == set(LOCATIONS)


def test_surrogates_are_realistic_consistent_and_seeded(corpus):
    records, injected = corpus
    settings = PiiSettings(mode="surrogate", custom_recognizers=CUSTOM, seed=7)
    with Scrubber(settings) as scrubber:
        out, report = scrubber.scrub_batch(records)
    blob = dump(out)
    assert [v for v in injected if v.encode() in blob] == []
    assert b"<EMAIL_ADDRESS" not in blob and report.records_touched == len(records)
    for rec in out:
        args = orjson.loads(rec["messages"][2]["tool_calls"][0]["arguments"])
        result = orjson.loads(rec["messages"][3]["content"])
        assert re.fullmatch(r"[\w.+-]+@[\w-]+(\.[\w-]+)+", args["email"])
        assert (
            args["email"] == result["customer"]["email"]
            and args["email"] in rec["response"]["content"]
        )
        assert (
            re.fullmatch(r"[\d()+\- ]{10,}", args["phone"])
            and args["phone"] == result["customer"]["phone"]
        )
        assert re.fullmatch(
            r"customer CUST-\d{6} says key AKIA[A-Z0-9]{16} leaked", args["notes"][0]
        )
        assert result["debug"]["anthropic_key"].startswith("sk-ant-")
    with Scrubber(PiiSettings(mode="surrogate", custom_recognizers=CUSTOM, seed=7)) as again:
        assert dump(again.scrub_batch(records)[0]) == blob
    with Scrubber(PiiSettings(mode="surrogate", custom_recognizers=CUSTOM, seed=8)) as other:
        assert dump(other.scrub_batch(records)[0]) != blob


def test_same_value_same_surrogate_across_records(corpus):
    records, _ = corpus
    with Scrubber(PiiSettings(mode="surrogate", seed=3)) as scrubber:
        out, _ = scrubber.scrub_batch(records[:3])
    system_prompts = {rec["messages"][0]["content"] for rec in out}
    assert len(system_prompts) == 1 and SHARED["admin_email"] not in system_prompts.pop()


def test_drop_mode_drops_records_holding_listed_entities(corpus):
    records, injected = corpus
    clean = new_record(
        source={"format": "test"},
        messages=[message("user", "Where is ORD-2025-004812?")],
        response=message("assistant", "It shipped 2025-05-01T10:00:00Z."),
    )
    with Scrubber(PiiSettings(mode="drop")) as scrubber:
        kept, report = scrubber.scrub_batch([*records, clean])
    assert kept == [clean] and report.records_dropped == len(records) and report.records_kept == 1
    only_ssn = PiiSettings(mode="drop", drop_entities=["US_SSN"])
    with Scrubber(only_ssn) as scrubber:
        no_ssn = new_record(
            source={"format": "test"},
            messages=[message("user", "mail me at jo.doe@mailbox.org")],
            response=message("assistant", "ok"),
        )
        kept, report = scrubber.scrub_batch([*records, no_ssn])
    assert report.records_dropped == len(records) and len(kept) == 1
    assert kept[0]["messages"][0]["content"] == "mail me at <EMAIL_ADDRESS_1>"


def test_a_value_found_once_is_replaced_everywhere_in_the_record():
    # A bare 10-digit number has no phone context in free text, but the same number sits
    # under a "phone" key in the arguments: both are replaced, with the same placeholder.
    rec = new_record(
        source={"format": "test"},
        messages=[
            message("user", "ref 4155550132 please"),
            message("assistant", None, [tool_call("sms", {"phone": 4155550132, "text": "hi"})]),
        ],
        response=message("assistant", "Sent to 4155550132."),
    )
    with Scrubber(PiiSettings()) as scrubber:
        (out,), report = scrubber.scrub_batch([rec])
    assert out["messages"][0]["content"] == "ref <PHONE_NUMBER_1> please"
    assert orjson.loads(out["messages"][1]["tool_calls"][0]["arguments"]) == {
        "phone": "<PHONE_NUMBER_1>",
        "text": "hi",
    }
    assert out["response"]["content"] == "Sent to <PHONE_NUMBER_1>."
    assert report.entities["PHONE_NUMBER"] == 3


def test_arguments_that_are_not_json_are_scrubbed_as_text():
    call = tool_call("send", '{"to": "jo@mailbox.org", broken')
    rec = new_record(
        source={"format": "test"},
        messages=[message("user", "hi")],
        response=message("assistant", None, [call]),
    )
    with Scrubber(PiiSettings()) as scrubber:
        (out,), report = scrubber.scrub_batch([rec])
    assert out["response"]["tool_calls"][0]["arguments"] == '{"to": "<EMAIL_ADDRESS_1>", broken'
    assert report.by_location["arguments"]["EMAIL_ADDRESS"] == 1


def test_parallel_path_gives_the_same_output_as_the_serial_one(corpus, placeholder):
    records, _ = corpus
    many = records * 5
    with Scrubber(PiiSettings(custom_recognizers=CUSTOM, workers=2)) as scrubber:
        out, report = scrubber.scrub_parallel(many)
        assert scrubber._pool is not None
    assert dump(out) == dump(placeholder[0] * 5)
    assert report.entities == {k: v * 5 for k, v in placeholder[1].entities.items()}
    assert report.strings_distinct == placeholder[1].strings_distinct


def test_distinct_strings_are_analysed_once(corpus, placeholder):
    records, _ = corpus
    _, report = placeholder
    assert report.strings_distinct < report.strings_seen
    assert report.strings_analysed + report.strings_skipped == report.strings_distinct
    assert report.strings_skipped > 0 and report.strings_cached == 0
    with Scrubber(PiiSettings(custom_recognizers=CUSTOM)) as scrubber:
        scrubber.scrub_batch(records[:2])
        _, second = scrubber.scrub_batch(records)
    assert second.strings_cached > 0
    assert second.strings_cached + second.strings_analysed + second.strings_skipped == (
        second.strings_distinct
    )
