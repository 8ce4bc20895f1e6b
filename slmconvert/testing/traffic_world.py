"""The seeded world behind the generated traffic: customers, orders, template slots, and the
format-neutral conversation each LLM call is rendered from (see `slmconvert.testing.traffic`)."""

from __future__ import annotations

import json
import random
import string
import time
from dataclasses import dataclass

from slmconvert.testing import traffic_data as D

ALNUM = string.ascii_letters + string.digits
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
BY_KIND = {
    k: tuple(p for p in D.PRODUCTS if p[4] == k) for k in ("apparel", "hardware", "accessory")
}
ASSISTANT = ("call", "text")


@dataclass(frozen=True)
class Person:
    """A customer of the store, with the personal data the logs will carry."""

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
        size = len(payload) if isinstance(payload, str) else len(json_text(payload[1])) + 20
        self.turns.append((kind, payload, size))

    def calls(self) -> list[int]:
        return [i for i, turn in enumerate(self.turns) if turn[0] in ASSISTANT]


def json_text(obj, indent: int | None = None) -> str:
    """JSON as the agent's tools write it (UTF-8 kept, optionally indented)."""
    return json.dumps(obj, ensure_ascii=False, indent=indent)


def luhn_digit(body: str) -> str:
    """The check digit that makes ``body + digit`` pass the Luhn test."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 - i % 2)
        total += d - 9 if d > 9 else d
    return str(-total % 10)


def draw_people(seed: int, n: int = 1000) -> tuple[Person, ...]:
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


def ymd(ts: float) -> str:
    """``2025-05-01`` for epoch seconds ``ts``."""
    return time.strftime("%Y-%m-%d", time.gmtime(ts))


def month_day(ts: float) -> str:
    """``May 1`` for epoch seconds ``ts``."""
    tm = time.gmtime(ts)
    return f"{MONTHS[tm.tm_mon - 1]} {tm.tm_mday}"


def iso_time(ts: float) -> str:
    """``2025-05-01T12:00:00.000Z`` for epoch seconds ``ts``."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int(ts % 1 * 1000):03d}Z"


class Gen:
    """The seeded source of everything random: people, orders, ids and template slots."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.people = draw_people(seed)

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

    def slots(self, p: Person) -> Slots:
        """Values for the ``{slot}``s of templates about customer ``p``, drawn when first used."""
        return Slots(self, p)

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
            "order_date": ymd(placed),
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
            order["cancelled_at"] = ymd(placed + 3600 * r.uniform(0.2, 20))
        if status in ("processing", "cancelled"):
            return order
        shipped = placed + r.uniform(0.5, 1.8) * 86400
        carrier = r.choice(D.CARRIERS)
        order["carrier"] = carrier
        order["tracking_number"] = self.tracking(carrier)
        order["shipped_at"] = ymd(shipped)
        order["estimated_delivery"] = ymd(shipped + (8 if status == "delayed" else 4) * 86400)
        if status == "delivered":
            order["delivered_at"] = ymd(shipped + r.uniform(2, 4.5) * 86400)
        return order


class Slots(dict):
    """Template slot values: the customer's own, plus others drawn the first time asked for."""

    def __init__(self, g: Gen, p: Person):
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


def styled(g: Gen, text: str, prefix=D.MOOD_PREFIX, suffix=D.MOOD_SUFFIX) -> str:
    """A customer's ``text`` with a mood prefix and suffix, now and then lower-cased and bare."""
    text = g.rng.choice(prefix) + text + g.rng.choice(suffix)
    return text.lower().rstrip("?.!") if g.rng.random() < 0.08 else text


# --- the five tasks --------------------------------------------------------------------------
