"""Seeded generator of a customer-service agent's LLM traffic (NVIDIA Gear Store style).

`generate` writes what an operator would find in the logs of a store's support agent: five kinds
of LLM call (the `TASKS`), spread over four log formats so that no format gives a task away, with
personal data seeded where real traffic carries it (system prompts, customer turns, tool
arguments, tool results, answers) beside values a scrubber must keep (order numbers, SKUs,
amounts, dates, tracking numbers).

It also writes a truth file, one line per log line: ``{"file", "line", "task", "calls"}``. Every
LLM call parsed from that line belongs to that task; ``calls == 0`` marks a failed call.

Everything is drawn from one ``random.Random(seed)`` plus Faker seeded once for a pool of people,
and gzip members carry ``mtime=0``: the same seed gives the same bytes.
"""

from __future__ import annotations

import gzip
import json
import random
import string
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import orjson

from slmconvert.testing import traffic_data as D

TASKS = ("routing", "order_status", "extraction", "summarization", "faq")
FORMATS = ("openai", "anthropic", "openai-finetune", "litellm")
FILE_STEMS = {
    "openai": "flywheel.openai",
    "anthropic": "claude.anthropic",
    "openai-finetune": "curated.openai-finetune",
    "litellm": "proxy.litellm",
}
# Share of all LLM calls per task, and calls per conversation (order status has 2 or 4).
TASK_SHARE = {
    "routing": 0.38,
    "order_status": 0.2,
    "extraction": 0.14,
    "summarization": 0.12,
    "faq": 0.16,
}
MEAN_CALLS = {
    "routing": 1.0,
    "order_status": 2.44,
    "extraction": 1.0,
    "summarization": 1.0,
    "faq": 1.1,
}
# Where each task's traffic is logged: every task in at least three formats.
TASK_FORMATS = {
    "routing": {"openai": 0.55, "anthropic": 0.25, "litellm": 0.2},
    "order_status": {"openai-finetune": 0.45, "openai": 0.35, "anthropic": 0.2},
    "extraction": {"litellm": 0.45, "openai": 0.3, "openai-finetune": 0.25},
    "summarization": {"anthropic": 0.5, "litellm": 0.3, "openai-finetune": 0.2},
    "faq": {"openai": 0.4, "litellm": 0.3, "anthropic": 0.3},
}
WORKLOADS = {
    "routing": "primary_assistant",
    "order_status": "order_status_assistant",
    "extraction": "email_intake",
    "summarization": "ticket_handover",
    "faq": "faq_assistant",
}
START = 1746057600  # 2025-05-01T00:00:00Z: a month of traffic from here
SPAN = 31 * 86400
LITELLM_FAILURE_RATE = 0.01
ALNUM = string.ascii_letters + string.digits
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
BY_KIND = {
    k: tuple(p for p in D.PRODUCTS if p[4] == k) for k in ("apparel", "hardware", "accessory")
}
ASSISTANT = ("call", "text")
FOLLOWUP_KINDS = {"processing": ("address",), "cancelled": ("refund",), "delivered": ("track",)}


@dataclass(frozen=True)
class Model:
    name: str
    base_ms: float
    ms_per_token: float
    usd_in: float  # per million tokens
    usd_out: float


LLAMA = Model("meta/llama-3.3-70b-instruct", 280.0, 22.0, 0.88, 0.88)
GPT4O = Model("gpt-4o-2024-08-06", 420.0, 11.0, 2.5, 10.0)
GPT4O_MINI = Model("gpt-4o-mini-2024-07-18", 350.0, 8.0, 0.15, 0.6)
SONNET = Model("claude-3-5-sonnet-20241022", 650.0, 14.0, 3.0, 15.0)
HAIKU = Model("claude-3-5-haiku-20241022", 420.0, 9.0, 0.8, 4.0)


@dataclass(frozen=True)
class Person:
    name: str
    first: str
    email: str
    phone: str
    street: str
    city: str
    state: str
    postal: str
    country: str
    customer_id: str
    user_id: str
    card: str

    @property
    def address(self) -> str:
        return f"{self.street}, {self.city}, {f'{self.state} ' if self.state else ''}{self.postal}"

    def address_obj(self, name: str) -> dict:
        keys = ("name", "street", "city", "state", "postal_code", "country")
        values = (name, self.street, self.city, self.state, self.postal, self.country)
        return dict(zip(keys, values, strict=True))


@dataclass
class Conv:
    """A format-neutral conversation. ``turns`` holds ``(kind, payload, size)`` with kind
    ``user``, ``call`` (payload ``(name, args)``), ``result`` or ``text``; each call or text
    turn is one LLM call whose prompt is the system prompt and every turn before it."""

    task: str
    system: str
    tools: tuple = ()
    customer: str = ""

    def __post_init__(self) -> None:
        self.turns: list[tuple] = []

    def add(self, kind: str, payload) -> None:
        size = len(payload) if isinstance(payload, str) else len(_json(payload[1])) + 20
        self.turns.append((kind, payload, size))

    def calls(self) -> list[int]:
        return [i for i, turn in enumerate(self.turns) if turn[0] in ASSISTANT]


def _json(obj, indent: int | None = None) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=indent)


def luhn_digit(body: str) -> str:
    """The check digit that makes ``body + digit`` pass the Luhn test."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 - i % 2)
        total += d - 9 if d > 9 else d
    return str(-total % 10)


def _people(seed: int, n: int = 1000) -> tuple[Person, ...]:
    """A pool of customers drawn once from Faker (US and UK), sampled per call afterwards."""
    from faker import Faker

    us, uk = Faker("en_US"), Faker("en_GB")
    us.seed_instance(seed)
    uk.seed_instance(seed + 1)
    rng = random.Random(f"people:{seed}")
    people = []
    for i in range(n):
        fake = uk if i % 8 == 7 else us
        first, last = fake.first_name(), fake.last_name()
        user = "".join(c for c in f"{first}.{last}".lower() if c.isalnum() or c == ".")
        user = rng.choice(
            (user, user.replace(".", ""), f"{user}{rng.randint(1, 99)}", f"{user[0]}{last}".lower())
        )
        prefix, length, _ = rng.choice(D.CARD_PREFIXES)
        card = prefix + "".join(rng.choices(string.digits, k=length - len(prefix) - 1))
        people.append(
            Person(
                name=f"{first} {last}",
                first=first,
                email=f"{user}@{rng.choice(D.EMAIL_DOMAINS)}",
                phone=fake.phone_number(),
                street=fake.street_address().replace("\n", ", "),
                city=fake.city(),
                state=fake.state_abbr() if fake is us else "",
                postal=fake.zipcode() if fake is us else fake.postcode(),
                country="US" if fake is us else "GB",
                customer_id=f"CUST-{rng.randint(100000, 999999)}",
                user_id=str(rng.randint(1000, 9999)),
                card=card + luhn_digit(card),
            )
        )
    return tuple(people)


def _day(ts: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(ts))


def _human(ts: float) -> str:
    tm = time.gmtime(ts)
    return f"{MONTHS[tm.tm_mon - 1]} {tm.tm_mday}"


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int(ts % 1 * 1000):03d}Z"


class _Gen:
    """The seeded source of everything random: people, orders, ids and template slots."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.people = _people(seed)

    def token(self, n: int, alphabet: str = ALNUM) -> str:
        return "".join(self.rng.choices(alphabet, k=n))

    def hex(self, bits: int = 128) -> str:
        return f"{self.rng.getrandbits(bits):0{bits // 4}x}"

    def person(self) -> Person:
        return self.rng.choice(self.people)

    def order_id(self, year: str = "2025") -> str:
        return f"ORD-{year}-{self.rng.randint(1, 99999):06d}"

    def card_text(self, card: str) -> str:
        if self.rng.random() < 0.4:
            return card
        groups = (
            (card[:4], card[4:10], card[10:])
            if len(card) == 15
            else (card[:4], card[4:8], card[8:12], card[12:])
        )
        return (" " if self.rng.random() < 0.7 else "-").join(groups)

    def tracking(self, carrier: str) -> str:
        if carrier == "UPS":
            return (
                "1Z"
                + self.token(6, string.ascii_uppercase + string.digits)
                + self.token(10, string.digits)
            )
        prefix, n = {"FedEx": ("", 12), "USPS": ("9400", 18), "DHL": ("", 10)}[carrier]
        return prefix + self.token(n, string.digits)

    def slots(self, p: Person) -> _Slots:
        """Values for the ``{slot}``s of templates about customer ``p``, drawn when first used."""
        return _Slots(self, p)

    def order(self, p: Person, now: float) -> dict:
        """A consistent order as the order database's tool returns it."""
        r = self.rng
        status = r.choices(tuple(D.ORDER_AGE), [w for _, _, w in D.ORDER_AGE.values()])[0]
        youngest, oldest, _ = D.ORDER_AGE[status]
        placed = now - r.uniform(youngest, oldest) * 86400
        items = [
            {"sku": sku, "name": name, "quantity": r.choice((1, 1, 1, 2)), "unit_price": price}
            for name, _, sku, price, _ in r.sample(D.PRODUCTS, r.choice((1, 1, 1, 2, 2, 3)))
        ]
        subtotal = round(sum(i["quantity"] * i["unit_price"] for i in items), 2)
        shipping = 0.0 if subtotal >= 50 else 7.95
        tax = round(subtotal * r.choice((0.0725, 0.0825, 0.06, 0.0)), 2)
        order = {
            "order_id": self.order_id(),
            "status": status,
            "order_date": _day(placed),
            "items": items,
            "subtotal": subtotal,
            "shipping": shipping,
            "tax": tax,
            "total": round(subtotal + shipping + tax, 2),
            "currency": "USD",
            "shipping_address": p.address_obj(p.name),
            "contact": {"email": p.email, "phone": p.phone},
            "payment": {
                "method": next(m for pre, _, m in D.CARD_PREFIXES if p.card.startswith(pre)),
                "last4": p.card[-4:],
            },
        }
        if status == "cancelled":
            order["cancelled_at"] = _day(placed + 3600 * r.uniform(0.2, 20))
        if status in ("processing", "cancelled"):
            return order
        shipped = placed + r.uniform(0.5, 1.8) * 86400
        carrier = r.choice(D.CARRIERS)
        order["carrier"] = carrier
        order["tracking_number"] = self.tracking(carrier)
        order["shipped_at"] = _day(shipped)
        order["estimated_delivery"] = _day(shipped + (8 if status == "delayed" else 4) * 86400)
        if status == "delivered":
            order["delivered_at"] = _day(shipped + r.uniform(2, 4.5) * 86400)
        return order


class _Slots(dict):
    """Template slot values: the customer's own, plus others drawn the first time asked for."""

    def __init__(self, g: _Gen, p: Person):
        super().__init__(name=p.name, first=p.first, email=p.email, phone=p.phone)
        self.update(customer_id=p.customer_id, city=p.city)
        self.g, self.p = g, p

    def __missing__(self, key: str):
        self[key] = value = SLOT_MAKERS[key](self.g, self.p)
        return value


SLOT_MAKERS = {
    "product": lambda g, p: g.rng.choice(D.PRODUCTS)[1],
    "apparel": lambda g, p: g.rng.choice(BY_KIND["apparel"])[1],
    "gadget": lambda g, p: g.rng.choice(BY_KIND["hardware"])[1],
    "accessory": lambda g, p: g.rng.choice(BY_KIND["accessory"])[1],
    "when": lambda g, p: g.rng.choice(D.WHEN),
    "order_id": lambda g, p: g.order_id(),
    "size": lambda g, p: g.rng.choice(D.SIZES),
    "color": lambda g, p: g.rng.choice(D.COLORS),
    "days": lambda g, p: g.rng.randint(3, 21),
    "weekday": lambda g, p: g.rng.choice(D.WEEKDAYS),
    "card": lambda g, p: g.card_text(p.card),
    "amount": lambda g, p: f"{g.rng.uniform(12, 420):.2f}",
    "tracking": lambda g, p: g.tracking(g.rng.choice(D.CARRIERS)),
    "address": lambda g, p: p.address if g.rng.random() < 0.6 else g.person().address,
    "code": lambda g, p: g.rng.choice(D.DISCOUNT_CODES),
    "rma": lambda g, p: f"RMA-{g.rng.randint(1000000, 9999999)}",
}


def _styled(g: _Gen, text: str, prefix=D.MOOD_PREFIX, suffix=D.MOOD_SUFFIX) -> str:
    text = g.rng.choice(prefix) + text + g.rng.choice(suffix)
    return text.lower().rstrip("?.!") if g.rng.random() < 0.08 else text


# --- the five tasks --------------------------------------------------------------------------


def routing(g: _Gen, fmt: str, now: float) -> Conv:
    """The Data Flywheel router: one customer message, exactly one delegating tool call."""
    r, p = g.rng, g.person()
    s = g.slots(p)
    tool = r.choice(tuple(D.ROUTES))
    user, query = (t.format_map(s) for t in r.choice(D.ROUTES[tool]))
    if tool == "HandleOtherTalk":
        text, args = _styled(g, user, ("",), ("",)), {"message": query}
    else:
        text, args = _styled(g, user), {"query": query}
        if tool != "ToProductQAAssistant":
            args["user_id"] = p.user_id
        if r.random() < 0.25:
            text = r.choice(D.ROUTE_PII).format_map(s) + text
    prompt = D.ROUTER_SYSTEM if fmt == "openai" else r.choice(D.ROUTER_SYSTEM_VARIANTS)
    conv = Conv("routing", prompt.format(user_id=p.user_id), D.ROUTER_TOOLS, p.customer_id)
    conv.add("user", text)
    conv.add("call", (tool, args))
    return conv


def order_status(g: _Gen, fmt: str, now: float) -> Conv:
    """Customer asks -> tool call -> order JSON -> answer; sometimes a follow-up round."""
    r, p = g.rng, g.person()
    order = g.order(p, now)
    s = g.slots(p)
    s.update(order_id=order["order_id"], product=order["items"][0]["name"], today=_day(now))
    system = r.choice(D.ORDER_SYSTEMS).format_map(s)
    conv = Conv("order_status", system, D.ORDER_TOOLS, p.customer_id)
    how = r.choices(("id", "mine", "email"), (0.55, 0.3, 0.15))[0]
    if how == "id":
        asks, call, result = (
            D.ORDER_ASK_ID,
            ("get_order_status", {"order_id": order["order_id"]}),
            order,
        )
    elif how == "mine":
        args = {"customer_id": p.customer_id} | ({"limit": 5} if r.random() < 0.5 else {})
        older = []
        for _ in range(r.randint(0, 3)):
            day = _day(now - r.uniform(30, 200) * 86400)
            total = round(r.uniform(15, 300), 2)
            older.append(
                {
                    "order_id": g.order_id(day[:4]),
                    "status": "delivered",
                    "order_date": day,
                    "total": total,
                }
            )
        asks, call = D.ORDER_ASK_MINE, ("get_customer_orders", args)
        result = {"customer_id": p.customer_id, "orders": [order, *older]}
    else:
        asks, call = D.ORDER_ASK_EMAIL, ("find_orders_by_email", {"email": p.email})
        result = {"email": p.email, "orders": [order]}
    conv.add("user", _styled(g, r.choice(asks).format_map(s), suffix=D.MOOD_SUFFIX[:5]))
    conv.add("call", call)
    conv.add("result", _json(result))
    names = [i["name"] for i in order["items"]]
    fill = {
        "first": p.first,
        "order_id": order["order_id"],
        "city": p.city,
        "street": p.street,
        "items": " and ".join(names) if len(names) < 3 else f"{len(names)} items",
        "order_date": order["order_date"],
        "total": f"{order['total']:.2f}",
        "ship_by": _human(now + 2 * 86400),
        "carrier": order.get("carrier", "the carrier"),
        "tracking": order.get("tracking_number"),
        "ship_date": order.get("shipped_at"),
        "eta": order.get("estimated_delivery"),
        "delivered": order.get("delivered_at"),
        "cancelled": order.get("cancelled_at"),
        "method": order["payment"]["method"],
        "last4": p.card[-4:],
    }
    conv.add("text", r.choice(D.ORDER_ANSWERS[order["status"]]).format_map(fill))
    if r.random() < 0.22:
        _order_followup(g, conv, order, fill, now)
    return conv


def _order_followup(g: _Gen, conv: Conv, order: dict, fill: dict, now: float) -> None:
    r, oid = g.rng, order["order_id"]
    kinds = FOLLOWUP_KINDS.get(order["status"], ("address", "track"))
    kind, text = r.choice([f for f in D.ORDER_FOLLOWUPS if f[0] in kinds])
    if kind == "address":
        new = g.person()
        conv.add("user", text.format(new_address=new.address))
        address = new.address_obj(order["shipping_address"]["name"])
        conv.add("call", ("update_shipping_address", {"order_id": oid, "address": address}))
        ok = order["status"] == "processing"
        outcome = {"shipping_address": address} if ok else {"reason": "order already shipped"}
        conv.add("result", _json({"order_id": oid, "updated": ok} | outcome))
        answer = (D.ADDRESS_DONE if ok else D.ADDRESS_REFUSED).format_map(
            fill | {"new_street": new.street, "new_city": new.city}
        )
    elif kind == "track":
        conv.add("user", text)
        args = {"tracking_number": fill["tracking"], "carrier": fill["carrier"]}
        conv.add("call", ("track_shipment", args))
        hub = g.person()
        where = f"{hub.city}, {hub.state or hub.country}"
        hours = sorted(r.sample(range(2, 60), 3))
        events = [
            {
                "time": _iso(now - h * 3600),
                "location": where,
                "description": r.choice(D.SCAN_EVENTS),
            }
            for h in hours
        ]
        conv.add("result", _json(args | {"status": order["status"], "events": events}))
        last = events[0]
        scan = {"scan_city": where, "scan_time": last["time"][:16].replace("T", " ") + " UTC"}
        answer = D.TRACK_ANSWER.format_map(fill | scan | {"scan_event": last["description"]})
    else:
        conv.add("user", text)
        conv.add("call", ("get_refund_status", {"order_id": oid}))
        refund_id = f"RF-{r.randint(10**7, 10**8 - 1)}"
        refund = {
            "order_id": oid,
            "refund_id": refund_id,
            "amount": order["total"],
            "status": "issued",
            "issued_at": order["cancelled_at"],
            "card_last4": fill["last4"],
        }
        conv.add("result", _json(refund))
        answer = D.REFUND_ANSWER.format_map(
            fill | {"refund_id": refund_id, "refund_date": refund["issued_at"]}
        )
    conv.add("text", answer)


def extraction(g: _Gen, fmt: str, now: float) -> Conv:
    """A free-text customer email in, a JSON object of the customer's details out."""
    r, p = g.rng, g.person()
    s = g.slots(p)
    body, label, _ = r.choice(D.ISSUES)
    found: dict = dict.fromkeys(("name", "email", "phone", "order_id"))
    lines = []
    if r.random() < 0.35:
        lines += [f"Subject: {r.choice(D.SUBJECTS)}", f"From: {p.name} <{p.email}>", ""]
        found.update(name=p.name, email=p.email)
    if greeting := r.choice(D.GREETINGS):
        lines += [greeting, ""]
    paragraph = [r.choice(D.INTROS).format_map(s), body.format_map(s)]
    if paragraph[0]:
        found["name"] = p.name
    if r.random() < 0.75:
        paragraph.append(r.choice(D.ORDER_MENTIONS).format_map(s))
        found["order_id"] = s["order_id"]
    lines.append(" ".join(x for x in paragraph if x))
    contact = []
    if r.random() < 0.6:
        contact.append(r.choice(D.PHONE_MENTIONS).format_map(s))
        found["phone"] = p.phone
    if found["email"] is None and r.random() < 0.55:
        contact.append(r.choice(D.EMAIL_MENTIONS).format_map(s))
        found["email"] = p.email
    if contact:
        lines += ["", " ".join(contact)]
    lines += ["", r.choice(D.CLOSINGS)]
    if found["name"] or r.random() < 0.85:
        signature = p.first if found["name"] is None and r.random() < 0.15 else p.name
        lines.append(signature)
        found["name"] = found["name"] or signature
    conv = Conv("extraction", r.choice(D.EXTRACT_SYSTEMS), customer=p.customer_id)
    conv.add("user", r.choice(D.EXTRACT_USER).format(email_text="\n".join(lines)))
    conv.add("text", _json(found | {"issue": label.format_map(s)}, 2 if r.random() < 0.2 else None))
    return conv


def summarization(g: _Gen, fmt: str, now: float) -> Conv:
    """A multi-paragraph support ticket in, a 2-3 sentence handover note out."""
    r, p = g.rng, g.person()
    s = g.slots(p)
    body, label, kind = r.choice(D.ISSUES)
    note, done = (x.format_map(s) for x in r.choice(D.ACTIONS[kind]))
    update, nxt = (x.format_map(s) for x in r.choice(D.FOLLOWUPS))
    layout, channel = r.choice(D.TICKET_LAYOUTS)
    opened = now - r.uniform(1, 96) * 3600
    s.update(
        tid=f"T-{r.randint(100000, 999999)}",
        subject=r.choice(D.SUBJECTS),
        opened=_iso(opened),
        channel=channel or r.choice(D.CHANNELS),
        greeting=r.choice(D.GREETINGS) or "Hi,",
        closing=r.choice(D.CLOSINGS),
        body=body.format_map(s),
        detail=" ".join(x.format_map(s) for x in r.sample(D.EXTRA_DETAIL, r.randint(1, 2))),
        agent=r.choice(D.AGENTS),
        note_day=_day(opened + 7200),
        note=note,
        update=update,
    )
    s.update({f"t{i}": _iso(opened + dt)[11:16] for i, dt in enumerate((0, 60, 140, 400))})
    ticket = layout.format_map(s)
    s.update(issue=label.format_map(s), action=done, next=nxt, next_lower=nxt[:1].lower() + nxt[1:])
    summary = r.choice(D.SUMMARIES).format_map(s)
    conv = Conv("summarization", r.choice(D.SUMMARY_SYSTEMS), customer=p.customer_id)
    conv.add("user", r.choice(D.SUMMARY_USER).format(ticket=ticket))
    conv.add("text", summary)
    return conv


def faq(g: _Gen, fmt: str, now: float) -> Conv:
    """Store-policy questions answered in prose; one in ten conversations asks a second one."""
    r, p = g.rng, g.person()
    s = g.slots(p)
    conv = Conv("faq", r.choice(D.FAQ_SYSTEMS), customer=p.customer_id)
    for i, topic in enumerate(r.sample(tuple(D.FAQ), 2 if r.random() < 0.1 else 1)):
        questions, answers = D.FAQ[topic]
        text = _styled(g, r.choice(questions).format_map(s), D.MOOD_PREFIX[:8], D.MOOD_SUFFIX[:4])
        if i == 0 and r.random() < 0.2:
            text = r.choice(D.FAQ_PII).format_map(s) + text
        conv.add("user", text)
        conv.add("text", r.choice(D.FAQ_OPENERS) + r.choice(answers))
    return conv


BUILDERS = {
    "routing": routing,
    "order_status": order_status,
    "extraction": extraction,
    "summarization": summarization,
    "faq": faq,
}


# --- rendering a conversation in each log format ---------------------------------------------


def _timeline(g: _Gen, conv: Conv, model: Model, start: float) -> list[tuple]:
    """``(start, latency_ms, input_tokens, output_tokens)`` for each LLM call of ``conv``."""
    r = g.rng
    chars, turns, t, out = len(conv.system) + _tool_chars(conv.tools), 1, start, []
    for kind, _, size in conv.turns:
        if kind in ASSISTANT:
            tokens_in = int(chars / 3.8) + 4 * turns + 3
            tokens_out = int(size / 3.6) + (16 if kind == "call" else 2)
            ms = model.base_ms + model.ms_per_token * tokens_out + 0.04 * tokens_in
            latency = round(ms * r.lognormvariate(0, 0.25), 1)
            out.append((t, latency, tokens_in, tokens_out))
            t += latency / 1000
        elif kind == "result":
            t += r.uniform(0.05, 0.9)
        elif turns > 1:
            t += r.uniform(8, 90)  # the customer reads the answer and types again
        chars += size
        turns += 1
    return out


_TOOL_CHARS: dict[int, int] = {}


def _tool_chars(tools: tuple) -> int:
    if id(tools) not in _TOOL_CHARS:
        _TOOL_CHARS[id(tools)] = len(_json(list(tools))) if tools else 0
    return _TOOL_CHARS[id(tools)]


def _openai_tools(tools: tuple) -> list[dict]:
    return [{"type": "function", "function": t} for t in tools]


def _openai_messages(conv: Conv, ids: dict, object_args=False, fine_tune=False) -> list[dict]:
    """OpenAI chat messages; index ``i + 1`` holds turn ``i`` (index 0 is the system prompt)."""
    msgs: list[dict] = [{"role": "system", "content": conv.system}]
    for i, (kind, payload, _) in enumerate(conv.turns):
        if kind == "call":
            name, args = payload
            call = {"id": ids[i]} if ids else {}
            call |= {
                "type": "function",
                "function": {"name": name, "arguments": args if object_args else _json(args)},
            }
            head = (
                {"role": "assistant"}
                if fine_tune
                else {"role": "assistant", "content": "" if object_args else None}
            )
            msgs.append(head | {"tool_calls": [call]})
        elif kind == "result":
            msgs.append({"role": "tool", "tool_call_id": ids.get(i - 1), "content": payload})
        else:
            msgs.append({"role": "user" if kind == "user" else "assistant", "content": payload})
    return msgs


def _completion(g: _Gen, model: Model, call: tuple, msg: dict, openai_ids=False) -> dict:
    """A ``chat.completion`` object for one call (OpenAI-style or NIM-style ids)."""
    ts, _, tokens_in, tokens_out = call
    out = {
        "id": "chatcmpl-" + (g.token(29) if openai_ids else g.hex()),
        "object": "chat.completion",
        "created": int(ts),
        "model": model.name,
        "choices": [
            {
                "index": 0,
                "message": msg,
                "logprobs": None,
                "finish_reason": "tool_calls" if msg.get("tool_calls") else "stop",
            }
        ],
        "usage": {
            "prompt_tokens": tokens_in,
            "completion_tokens": tokens_out,
            "total_tokens": tokens_in + tokens_out,
        },
    }
    if openai_ids:
        out["system_fingerprint"] = "fp_" + g.hex(40)
    return out


def render_openai(g: _Gen, conv: Conv, start: float) -> list[tuple[dict, int]]:
    """NVIDIA Data Flywheel records: one request/response pair per LLM call."""
    minimal = conv.task == "routing" and g.rng.random() < 0.35  # shaped like the public sample
    ids = {} if minimal else {i: "chatcmpl-tool-" + g.hex() for i in conv.calls()}
    msgs = _openai_messages(conv, ids, object_args=minimal)
    tools = {"tools": _openai_tools(conv.tools)} if conv.tools else {}
    lines = []
    for i, call in zip(conv.calls(), _timeline(g, conv, LLAMA, start), strict=True):
        msg = msgs[i + 1]
        response = {"choices": [{"message": msg}]} if minimal else _completion(g, LLAMA, call, msg)
        record = {
            "request": {"model": LLAMA.name, "messages": msgs[: i + 1]} | tools,
            "response": response,
            "workload_id": WORKLOADS[conv.task],
            "client_id": "aiva-1",
            "timestamp": int(call[0]),
        }
        lines.append((record, 1))
    return lines


def render_litellm(g: _Gen, conv: Conv, start: float) -> list[tuple[dict, int]]:
    """LiteLLM proxy StandardLoggingPayload lines, with the odd rate-limited attempt (0 calls)."""
    r = g.rng
    model = GPT4O_MINI if conv.task == "faq" and r.random() < 0.6 else GPT4O
    msgs = _openai_messages(conv, {i: "call_" + g.token(24) for i in conv.calls()})
    params = {"temperature": 0.2, "max_tokens": 1024}
    if conv.tools:
        params |= {"tools": _openai_tools(conv.tools), "tool_choice": "auto"}
    trace = "-".join(g.hex(bits) for bits in (32, 16, 16, 16, 48))
    lines = []
    for i, call in zip(conv.calls(), _timeline(g, conv, model, start), strict=True):
        ts, latency, tokens_in, tokens_out = call
        ip = f"10.20.{r.randint(0, 255)}.{r.randint(1, 254)}"
        common = {
            "trace_id": trace,
            "call_type": "acompletion",
            "stream": False,
            "model": model.name,
            "model_group": model.name.rsplit("-", 3)[0],
            "custom_llm_provider": "openai",
            "api_base": "https://api.openai.com/v1",
            "messages": msgs[: i + 1],
            "model_parameters": params,
            "metadata": D.LITELLM_KEY | {"requester_ip_address": ip},
            "cache_hit": False,
            "end_user": conv.customer,
            "request_tags": ["gear-store"],
        }
        if r.random() < LITELLM_FAILURE_RATE:  # a rate-limited attempt, retried at once
            failed = {
                "id": g.hex(),
                **common,
                "status": "failure",
                "response_cost": 0.0,
                "response": None,
                "prompt_tokens": tokens_in,
                "completion_tokens": 0,
                "total_tokens": tokens_in,
                "startTime": round(ts - 2.1, 3),
                "endTime": round(ts - 1.9, 3),
                "error_str": D.RATE_LIMIT.format(model=model.name),
                "error_information": D.RATE_LIMIT_INFO,
            }
            lines.append((failed, 0))
        response = _completion(g, model, call, msgs[i + 1], openai_ids=True)
        cost = round((tokens_in * model.usd_in + tokens_out * model.usd_out) / 1e6, 8)
        end = round(ts + latency / 1000, 3)
        done = {
            "id": response["id"],
            **common,
            "status": "success",
            "response_cost": cost,
            "response": response,
            "prompt_tokens": tokens_in,
            "completion_tokens": tokens_out,
            "total_tokens": tokens_in + tokens_out,
            "startTime": round(ts, 3),
            "endTime": end,
            "completionStartTime": end,
            "error_str": None,
        }
        lines.append((done, 1))
    return lines


def _anthropic_messages(g: _Gen, conv: Conv, ids: dict) -> list[dict]:
    """Anthropic messages; index ``i`` holds turn ``i``. Tool results ride in a user turn."""
    r, msgs = g.rng, []
    for i, (kind, payload, _) in enumerate(conv.turns):
        if kind == "user":
            content = payload if r.random() < 0.8 else [{"type": "text", "text": payload}]
            msgs.append({"role": "user", "content": content})
        elif kind == "call":
            say = conv.task != "routing" and r.random() < 0.4
            pre = [{"type": "text", "text": r.choice(D.CLAUDE_PRE)}] if say else []
            use = {"type": "tool_use", "id": ids[i], "name": payload[0], "input": payload[1]}
            msgs.append({"role": "assistant", "content": [*pre, use]})
        elif kind == "result":
            block = {"type": "tool_result", "tool_use_id": ids[i - 1], "content": payload}
            msgs.append({"role": "user", "content": [block]})
        else:
            msgs.append({"role": "assistant", "content": [{"type": "text", "text": payload}]})
    return msgs


def render_anthropic(g: _Gen, conv: Conv, start: float) -> list[tuple[dict, int]]:
    """Anthropic Messages API request/response pairs, one per LLM call."""
    r = g.rng
    model = HAIKU if conv.task in ("summarization", "faq") and r.random() < 0.5 else SONNET
    cached = r.random() < 0.4
    system = (
        [{"type": "text", "text": conv.system, "cache_control": {"type": "ephemeral"}}]
        if cached
        else conv.system
    )
    msgs = _anthropic_messages(g, conv, {i: "toolu_01" + g.token(22) for i in conv.calls()})
    tools = [
        {"name": t["name"], "description": t["description"], "input_schema": t["parameters"]}
        for t in conv.tools
    ]
    prefix_tokens = int((len(conv.system) + _tool_chars(conv.tools)) / 3.8)
    lines = []
    for n, (i, call) in enumerate(zip(conv.calls(), _timeline(g, conv, model, start), strict=True)):
        ts, latency, tokens_in, tokens_out = call
        request = {"model": model.name, "max_tokens": 1024, "system": system, "messages": msgs[:i]}
        if tools:
            request["tools"] = tools
            if conv.task == "routing":
                request["tool_choice"] = {"type": "any"}
        read = prefix_tokens if cached and n else 0
        usage = {
            "input_tokens": tokens_in - (prefix_tokens if cached else 0),
            "cache_creation_input_tokens": prefix_tokens if cached and not n else 0,
            "cache_read_input_tokens": read,
            "output_tokens": tokens_out,
        }
        content = msgs[i]["content"]
        response = {
            "id": "msg_01" + g.token(22),
            "type": "message",
            "role": "assistant",
            "model": model.name,
            "content": content,
            "stop_reason": "tool_use" if content[-1]["type"] == "tool_use" else "end_turn",
            "stop_sequence": None,
            "usage": usage,
        }
        record = {"request": request, "response": response, "timestamp": _iso(ts)}
        lines.append((record | {"latency_ms": latency}, 1))
    return lines


def render_finetune(g: _Gen, conv: Conv, start: float) -> list[tuple[dict, int]]:
    """One OpenAI fine-tuning line per conversation; each assistant turn is an LLM call."""
    ids = {i: "call_" + g.token(24) for i in conv.calls()}
    line = {"messages": _openai_messages(conv, ids, fine_tune=True)}
    if conv.tools:
        line |= {"tools": _openai_tools(conv.tools), "parallel_tool_calls": False}
    return [(line, len(conv.calls()))]


RENDERERS = {
    "openai": render_openai,
    "anthropic": render_anthropic,
    "openai-finetune": render_finetune,
    "litellm": render_litellm,
}


# --- writing ---------------------------------------------------------------------------------


class _Writer:
    """Buffered JSONL writer; gzip members carry mtime 0 and no name, so bytes are reproducible."""

    def __init__(self, path: Path, compress: bool):
        self.raw = open(path, "wb")  # noqa: SIM115 - closed in close()
        self.out = gzip.GzipFile("", "wb", 6, self.raw, mtime=0) if compress else self.raw
        self.buf: list[bytes] = []
        self.lines = 0

    def write(self, data: bytes) -> int:
        self.buf.append(data)
        self.lines += 1
        if len(self.buf) >= 1024:
            self.flush()
        return self.lines

    def flush(self) -> None:
        if self.buf:
            self.out.write(b"\n".join(self.buf) + b"\n")
            self.buf.clear()

    def close(self) -> None:
        self.flush()
        self.out.close()
        self.raw.close()


def file_name(fmt: str, compress: bool = True) -> str:
    """The log file a format's lines go to, e.g. ``flywheel.openai.jsonl.gz``."""
    return f"{FILE_STEMS[fmt]}.jsonl" + (".gz" if compress else "")


def generate(
    logs_dir: str | Path,
    truth_path: str | Path | None = None,
    calls: int = 3000,
    seed: int = 0,
    formats: Iterable[str] | None = None,
    compress: bool = True,
) -> dict:
    """Write at least ``calls`` LLM calls of store traffic into ``logs_dir``, plus the truth file.

    ``truth_path`` defaults to ``truth.jsonl`` beside ``logs_dir`` (never inside it: the log
    directory holds logs only). ``formats`` limits the formats (default: all of `FORMATS`); a
    task none of whose usual formats is allowed goes to every allowed one. Returns ``calls``,
    ``lines``, ``failed``, calls per ``tasks`` and ``formats``, and lines per ``files``.
    """
    logs_dir = Path(logs_dir)
    truth_path = Path(truth_path) if truth_path is not None else logs_dir.parent / "truth.jsonl"
    chosen = tuple(FORMATS if formats is None else dict.fromkeys(formats))
    if not chosen or set(chosen) - set(FORMATS):
        raise ValueError(f"formats must be some of: {', '.join(FORMATS)}")
    logs_dir.mkdir(parents=True, exist_ok=True)
    truth_path.parent.mkdir(parents=True, exist_ok=True)
    for fmt in FORMATS:  # an earlier run's files would have no truth lines
        for compressed in (True, False):
            (logs_dir / file_name(fmt, compressed)).unlink(missing_ok=True)

    task_weights = [TASK_SHARE[t] / MEAN_CALLS[t] for t in TASKS]
    routes = {}
    for task in TASKS:
        allowed = [f for f in chosen if f in TASK_FORMATS[task]] or list(chosen)
        routes[task] = (allowed, [TASK_FORMATS[task].get(f, 1.0) for f in allowed])
    mean_gap = SPAN / max(1.0, calls * sum(task_weights))

    g = _Gen(seed)
    r = g.rng
    writers: dict[str, _Writer] = {}
    truth: dict[str, list[tuple]] = {}  # small tuples: orjson's bytes would cost 4 KB each
    counts: dict = {"calls": 0, "lines": 0, "failed": 0, "tasks": dict.fromkeys(TASKS, 0)}
    counts |= {"formats": dict.fromkeys(chosen, 0), "files": {}}
    now = float(START)
    try:
        while counts["calls"] < calls:
            now += r.expovariate(1.0 / mean_gap)
            task = r.choices(TASKS, task_weights)[0]
            fmt = r.choices(*routes[task])[0]
            conv = BUILDERS[task](g, fmt, now)
            if fmt not in writers:
                writers[fmt] = _Writer(logs_dir / file_name(fmt, compress), compress)
                truth[fmt] = []
            name = file_name(fmt, compress)
            for obj, n in RENDERERS[fmt](g, conv, now):
                line = writers[fmt].write(orjson.dumps(obj))
                truth[fmt].append((name, line, task, n))
                counts["calls"] += n
                counts["lines"] += 1
                counts["failed"] += n == 0
                counts["tasks"][task] += n
                counts["formats"][fmt] += n
    finally:
        for writer in writers.values():
            writer.close()
    with open(truth_path, "wb") as fh:
        for fmt in FORMATS:
            for name, line, task, n in truth.get(fmt, ()):
                fh.write(
                    orjson.dumps({"file": name, "line": line, "task": task, "calls": n}) + b"\n"
                )
            if fmt in truth:
                counts["files"][file_name(fmt, compress)] = len(truth[fmt])
    return counts
