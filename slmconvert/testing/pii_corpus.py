"""A labelled corpus for measuring the pii stage: agent calls with known values planted in them.

``corpus(n, seed)`` yields ``Sample``s: one canonical record each (a system prompt, a user turn,
a tool call, its JSON result and an answer) with one planted value or one hard negative, and
its label. Values come from sources the detectors do **not** use:

- person names from Faker's per-locale lists (the detectors use US census tables);
- real city names from Faker's per-locale city lists (the detectors use GeoNames);
- structured values (emails, phones, cards, IBANs, SSNs, IPs) from Faker;
- secrets built here at run time in each vendor's documented shape (none is committed);
- hard negatives that must survive: order ids, SKUs, amounts, dates, timestamps, versions,
  product names and code.

Templates are written in the shapes agent logs have: chat turns, system prompts, JSON tool
arguments (the value under a key) and tool results (JSON or text).
"""

from __future__ import annotations

import random
import string
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from slmconvert.core.records import dumps, message, new_record, tool, tool_call

LATIN_LOCALES = (
    "en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "pt_BR", "nl_NL", "pl_PL", "sv_SE",
    "cs_CZ", "tr_TR", "da_DK", "fi_FI", "ro_RO", "hr_HR", "id_ID", "en_IN",
)  # fmt: skip
OTHER_LOCALES = ("ru_RU", "uk_UA", "el_GR", "ja_JP", "zh_CN", "ar_AA", "hi_IN", "ko_KR", "he_IL")
"""Locales whose names are written in scripts other than Latin: measured and reported."""

CITY_LISTS = {
    "de_DE": "cities", "de_AT": "cities", "de_CH": "cities", "pl_PL": "cities",
    "pt_PT": "cities", "sv_SE": "cities", "ro_RO": "cities", "en_IN": "cities",
    "id_ID": "cities", "hr_HR": "cities", "sl_SI": "cities", "cs_CZ": "cities",
    "fi_FI": "cities", "da_DK": "cities", "ru_RU": "city_names", "uk_UA": "city_names",
    "el_GR": "cities", "ja_JP": "cities", "zh_CN": "cities", "hi_IN": "cities",
}  # fmt: skip
"""Faker locales that list real towns (not generated ones), and the attribute holding them."""

STRUCTURED = ("EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN", "IP_ADDRESS")
LOCATIONS = ("system", "user", "arguments", "results", "assistant")

_ALNUM = string.ascii_letters + string.digits
_HEX = "0123456789abcdef"


@dataclass(frozen=True)
class Sample:
    """One record and what was planted in it.

    ``kind`` is the entity group (``PERSON``, ``LOCATION``, ``EMAIL_ADDRESS``, ..., ``SECRET``)
    or ``NEGATIVE``; ``detail`` is the secret type or the negative's kind; ``script`` is
    ``latin`` or ``other``; ``location`` is where in the record the value sits.
    """

    record: dict
    value: str
    kind: str
    detail: str
    script: str
    location: str


def built_secrets(rng: random.Random) -> dict[str, str]:
    """One secret of every type the detectors know, built in its documented shape."""

    def r(chars: str, n: int) -> str:
        return "".join(rng.choice(chars) for _ in range(n))

    return {
        "OPENAI_API_KEY": "sk-" + "proj-" + r(_ALNUM, 40) + "1",
        "ANTHROPIC_API_KEY": "sk-" + "ant-api03-" + r(_ALNUM + "_-", 40),
        "AWS_ACCESS_KEY_ID": "AKIA" + r(string.ascii_uppercase + string.digits, 16),
        "GITHUB_TOKEN": "ghp_" + r(_ALNUM, 36),
        "SLACK_TOKEN": "xoxb-" + r(string.digits, 12) + "-" + r(_ALNUM, 24),
        "GOOGLE_API_KEY": "AIza" + r(_ALNUM + "_-", 35),
        "JWT": "eyJ" + r(_ALNUM, 20) + ".eyJ" + r(_ALNUM, 30) + "." + r(_ALNUM + "_-", 43),
        "STRIPE_KEY": "sk_" + "live_" + r(_ALNUM, 24),
        "HUGGINGFACE_TOKEN": "hf_" + r(_ALNUM, 34),
        "GOOGLE_OAUTH_TOKEN": "ya29" + "." + r(_ALNUM + "_-", 60),
        "NPM_TOKEN": "npm_" + r(_ALNUM, 36),
        "PYPI_TOKEN": "pypi-" + "AgEIcHlwaS5vcmc" + r(_ALNUM + "_-", 60),
        "TWILIO_API_KEY": "SK" + r(_HEX, 32),
        "SENDGRID_API_KEY": "SG." + r(_ALNUM, 22) + "." + r(_ALNUM, 43),
        "KEYED_SECRET": r(string.ascii_lowercase, 6) + rng.choice("!#%&*") + r(_ALNUM, 5),
        "BEARER_TOKEN": r(_ALNUM, 20) + "9" + r(_ALNUM, 11),
        "AWS_SECRET_ACCESS_KEY": r(_ALNUM + "/+", 40),
        "AZURE_STORAGE_KEY": r(_ALNUM + "/+", 86) + "==",
        "URL_CREDENTIALS": r(_ALNUM, 14),
        "PRIVATE_KEY": "\n".join(r(_ALNUM + "/+", 64) for _ in range(3)),
    }


SECRET_SURROUNDINGS = {
    "BEARER_TOKEN": "Authorization: Bearer {v}",
    "AWS_SECRET_ACCESS_KEY": "aws_secret_access_key={v}",
    "AZURE_STORAGE_KEY": "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey={v};"
    "EndpointSuffix=core.windows.net",
    "URL_CREDENTIALS": "postgres://app:{v}@db.internal:5432/prod",
    "PRIVATE_KEY": "-----BEGIN PRIVATE KEY-----\n{v}\n-----END PRIVATE KEY-----",
}
"""Secrets that are secrets by what surrounds them: planted with it, scored on the value."""


# -- templates: "{v}" is the planted value -------------------------------------------------------

TEXT = {
    "PERSON": [
        "Hi, this is {v}. My order still hasn't arrived.",
        "Please update the account holder to {v} before the renewal.",
        "Can you check whether {v} already paid the invoice?",
        "The ticket was opened by {v} yesterday and is still pending.",
        "I spoke with {v} from your billing team and she promised a refund.",
        "Forward the quote to {v} and copy me.",
        "Thanks for the quick help!\nBest regards,\n{v}",
    ],
    "LOCATION": [
        "I'm flying to {v} next Tuesday, can you rebook my connection?",
        "Please ship it to our office in {v} instead.",
        "The package is stuck at the depot near {v}.",
        "We are moving from {v} at the end of the month.",
        "Is there a pickup point in {v}?",
        "What's the weather like in {v} this weekend?",
        "My parcel left {v} three days ago and there is no update.",
    ],
    "EMAIL_ADDRESS": [
        "You can reach me at {v} any time.",
        "Send the receipt to {v} please.",
        "My login is {v} but the reset link never comes.",
    ],
    "PHONE_NUMBER": [
        "Call me back on {v} after 5pm.",
        "My phone number is {v}.",
        "Text the code to {v}, I don't have email access.",
        "Please reach me by phone: {v}",
    ],
    "CREDIT_CARD": [
        "Charge the card {v}, expiry 09/28.",
        "I paid with {v} and was billed twice.",
    ],
    "IBAN_CODE": [
        "Refund to my account {v} please.",
        "The transfer came from IBAN {v}.",
    ],
    "US_SSN": [
        "For the tax form my SSN is {v}.",
        "Social security number: {v}",
    ],
    "IP_ADDRESS": [
        "The login came from {v}, that wasn't me.",
        "Whitelist {v} for the API please.",
    ],
    "SECRET": [
        "Here is the key I use in prod: {v}",
        "export TOKEN={v}",
        "Authorization failed even with {v}, can you check?",
    ],
    "KEYED": ["my password is {v}", "password={v}", "Login failed with password: {v}"],
    "NEGATIVE": [
        "Can you check the status of {v}?",
        "It says {v} on the label.",
        "The dashboard shows {v} for this account.",
        "Why does my statement list {v}?",
        "I paid with {v} last week.",
        "It was shipped by {v}, I think.",
        "Is this compatible with {v}?",
        "Thanks, {v} works now!",
    ],
}

SYSTEM = {
    "PERSON": "You are the support assistant for {v}'s household account. Be brief.",
    "LOCATION": "You are the concierge of our hotel in {v}. Answer guests politely.",
    "EMAIL_ADDRESS": "Escalations go to {v}. Be brief.",
    "PHONE_NUMBER": "If the user asks for a human, give them our hotline {v}.",
    "CREDIT_CARD": "The test card for the sandbox is {v}.",
    "IBAN_CODE": "Refunds are paid from IBAN {v}.",
    "US_SSN": "Verify the caller against SSN {v} before any change.",
    "IP_ADDRESS": "The internal API lives at {v}.",
    "SECRET": "Call the API with the key {v}.",
    "KEYED": "The admin password is {v}.",
    "NEGATIVE": "You are a support agent. Reference data: {v}. Be brief.",
}

KEYS = {
    "PERSON": ["customer_name", "recipient", "fullName", "contact", "name"],
    "LOCATION": ["city", "destination", "origin", "pickupCity", "location"],
    "EMAIL_ADDRESS": ["email", "to", "contact"],
    "PHONE_NUMBER": ["phone", "mobile", "phoneNumber", "contact"],
    "CREDIT_CARD": ["card_number", "pan"],
    "IBAN_CODE": ["iban", "account"],
    "US_SSN": ["ssn", "tax_id"],
    "IP_ADDRESS": ["ip", "client_ip", "remote_addr"],
    "SECRET": ["api_key", "token", "password", "secret", "Authorization"],
    "KEYED": ["password", "secret", "api_key", "client_secret", "passwd"],
    "NEGATIVE": ["order_id", "sku", "amount", "created_at", "version", "product", "query"],
}

RESULT_TEXT = {
    "PERSON": "Order ORD-2025-118204 shipped. Signed for by {v} at 14:02.",
    "LOCATION": "Forecast for {v}: 21°C, clear skies, wind 12 km/h.",
    "EMAIL_ADDRESS": "Account found: {v} (verified).",
    "PHONE_NUMBER": "Callback scheduled for {v} at 16:30.",
    "CREDIT_CARD": "Payment method on file: {v}.",
    "IBAN_CODE": "Payout account: {v}.",
    "US_SSN": "Identity check passed for SSN {v}.",
    "IP_ADDRESS": "Last login from {v}.",
    "SECRET": "config loaded: key={v}",
    "KEYED": "config loaded: password={v}",
    "NEGATIVE": "Result: {v}.",
}

ANSWER = {
    "PERSON": "Thanks, {v}! I've updated the account and you'll get an email shortly.",
    "LOCATION": "Done: your pickup is now at the {v} depot.",
    "EMAIL_ADDRESS": "I've sent the receipt to {v}.",
    "PHONE_NUMBER": "We will call you at {v} within the hour.",
    "CREDIT_CARD": "The refund goes back to the card {v}.",
    "IBAN_CODE": "The refund will be paid to {v} within 3 days.",
    "US_SSN": "I've noted the SSN {v} on the form.",
    "IP_ADDRESS": "I've whitelisted {v}.",
    "SECRET": "Your new key is {v}; store it safely.",
    "KEYED": "Your temporary password: {v}",
    "NEGATIVE": "I found {v} in our system.",
}

NEGATIVES = {
    "order_id": lambda r: f"ORD-{r.randint(2019, 2026)}-{r.randint(0, 999999):06d}",
    "sku": lambda r: r.choice(["SKU-", "B0", "ITM-"]) + "".join(r.choices("0123456789ABCDEFGHJK", k=8)),
    "amount": lambda r: r.choice(["$", "EUR ", "£", ""]) + f"{r.randint(1, 9999):,}.{r.randint(0, 99):02d}",
    "date": lambda r: r.choice([
        f"{r.randint(2020, 2026)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}",
        f"{r.randint(1, 28):02d}/{r.randint(1, 12):02d}/{r.randint(2020, 2026)}",
        f"{r.choice(['March', 'June', 'October'])} {r.randint(1, 28)}, {r.randint(2020, 2026)}",
    ]),
    "timestamp": lambda r: f"2025-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}T{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}Z",
    "epoch_ms": lambda r: str(r.randint(1_600_000_000_000, 1_800_000_000_000)),
    "version": lambda r: r.choice(["v", ""]) + f"{r.randint(0, 12)}.{r.randint(0, 40)}.{r.randint(0, 20)}",
    "tracking": lambda r: "1Z" + "".join(r.choices("0123456789ABCDEFGHJKLMNPRSTUVWXYZ", k=16)),
    "product": lambda r: r.choice(PRODUCTS),
    "service": lambda r: r.choice(SERVICES),
    "code": lambda r: r.choice(CODE),
}  # fmt: skip

PRODUCTS = (
    "Galaxy S24 Ultra", "iPhone 15 Pro Max", "AirPods Pro", "Kindle Paperwhite", "Echo Dot",
    "Instant Pot Duo", "Dyson V15 Detect", "Nintendo Switch OLED", "PlayStation 5 Slim",
    "Surface Laptop 6", "ThinkPad X1 Carbon", "MacBook Air M3", "Pixel 8 Pro", "Fire TV Stick",
    "Roomba Combo j9", "Vitamix Explorian", "Nespresso Vertuo Next", "Air Max Plus",
    "Ultraboost Light", "Stanley Quencher Tumbler", "Yeti Rambler", "Ninja Creami",
    "Garmin Forerunner 265", "Apple Watch Series 9", "Bose QuietComfort Ultra",
    "Sonos Era 100", "Logitech MX Master 3S", "Samsung Odyssey G9", "Canon EOS R6",
    "Weber Spirit Grill", "Lego Millennium Falcon", "Crocs Classic Clog", "Patagonia Nano Puff",
    "North Face Nuptse Jacket", "Hydro Flask Wide Mouth", "Fitbit Charge 6", "Oura Ring Gen3",
    "Peloton Bike Plus", "Traeger Pro 575", "Philips Hue Starter Kit",
)  # fmt: skip

SERVICES = (
    "Apple Pay", "Google Pay", "Prime Video", "Customer Support", "Express Shipping",
    "Gift Card", "Black Friday Sale", "Premium Plan", "Order History", "Account Settings",
    "Help Center", "Visa Debit", "Cash App", "Uber Eats", "Whole Foods Market", "Home Depot",
    "Best Buy", "Royal Mail", "Deutsche Post", "La Poste", "Correos Express", "Kindle Unlimited",
    "Xbox Game Pass", "Microsoft Teams", "Google Drive", "Dropbox Business", "Zoom Workplace",
    "Salesforce Service Cloud", "Azure Blob Storage", "Amazon Web Services", "Stripe Checkout",
    "Shopify Payments", "Klarna Pay Later", "Revolut Business", "Wise Transfer",
    "DoorDash DashPass", "Spotify Premium", "Netflix Standard", "Adobe Creative Cloud",
    "Slack Huddles",
)  # fmt: skip
"""Services, features and companies that appear where names do (``paid with Apple Pay``)."""

CODE = (
    "def get_order(order_id: str) -> dict:",
    "SELECT id, status FROM orders WHERE created_at > NOW() - INTERVAL '7 days'",
    "Traceback (most recent call last): ValueError: invalid literal for int()",
    "const user = await db.users.findOne({ where: { id } });",
    "kubectl rollout restart deployment/api-gateway -n prod",
    "git checkout -b feature/refund-flow",
    "HTTP/1.1 503 Service Unavailable",
    "import pandas as pd; df = pd.read_parquet('orders.parquet')",
    "class OrderService(BaseService):",
    "docker run -p 8080:8080 ghcr.io/acme/api:1.4.2",
)


# -- values -----------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _faker(locale: str):
    from faker import Faker

    return Faker(locale)


@lru_cache(maxsize=32)
def _cities(locale: str) -> tuple[str, ...]:
    import importlib

    provider = importlib.import_module(f"faker.providers.address.{locale}").Provider
    return tuple(c for c in getattr(provider, CITY_LISTS[locale]) if "(" not in c)


def _person(rng: random.Random, locales: tuple[str, ...]) -> tuple[str, str]:
    locale = rng.choice(locales)
    fake = _faker(locale)
    fake.seed_instance(rng.random())
    sep = "" if locale in ("ja_JP", "zh_CN", "ko_KR") else " "
    if locale in ("ja_JP", "zh_CN", "ko_KR"):  # family name first
        return f"{fake.last_name()}{sep}{fake.first_name()}", locale
    return f"{fake.first_name()}{sep}{fake.last_name()}", locale


def _value(kind: str, rng: random.Random) -> tuple[str, str, str]:
    """``(value, detail, script)`` for one planted value of ``kind``."""
    latin = [loc for loc in CITY_LISTS if loc not in OTHER_LOCALES and loc != "el_GR"]
    if kind == "PERSON":
        locales = LATIN_LOCALES if rng.random() < 0.75 else OTHER_LOCALES
        name, locale = _person(rng, locales)
        return name, locale, "latin" if locales is LATIN_LOCALES else "other"
    if kind == "LOCATION":
        other = [loc for loc in CITY_LISTS if loc not in latin]
        locales = latin if rng.random() < 0.75 else other
        locale = rng.choice(locales)
        return rng.choice(_cities(locale)), locale, "latin" if locales is latin else "other"
    if kind == "SECRET":
        secrets = built_secrets(rng)
        detail = rng.choice(sorted(secrets))
        return secrets[detail], detail, "latin"
    if kind == "NEGATIVE":
        detail = rng.choice(sorted(NEGATIVES))
        return NEGATIVES[detail](rng), detail, "latin"
    locale = "en_US" if kind == "US_SSN" else rng.choice(LATIN_LOCALES[:12])
    fake = _faker(locale)
    fake.seed_instance(rng.random())
    make = {
        "EMAIL_ADDRESS": fake.email,
        "PHONE_NUMBER": fake.phone_number,
        "CREDIT_CARD": fake.credit_card_number,
        "IBAN_CODE": fake.iban,
        "US_SSN": fake.ssn,
        "IP_ADDRESS": lambda: fake.ipv4_public() if rng.random() < 0.7 else fake.ipv6(),
    }[kind]
    return make(), locale, "latin"


def _record(kind: str, value: str, location: str, detail: str, rng: random.Random) -> dict:
    system = "You are a helpful support agent for an online shop. Be brief."
    user = "Where is my order ORD-2025-004812?"
    args: dict = {"order_id": "ORD-2025-004812"}
    result: str = dumps({"status": "in_transit", "eta": "2025-03-14"})
    answer = "Your order is on its way and should arrive on March 14."
    if detail == "KEYED_SECRET":  # a password is a secret only where a key says so
        kind = "KEYED"
    value = SECRET_SURROUNDINGS.get(detail, "{v}").format(v=value) if kind == "SECRET" else value
    if location == "system":
        system = SYSTEM[kind].format(v=value)
    elif location == "user":
        user = rng.choice(TEXT[kind]).format(v=value)
    elif location == "arguments":
        key = (
            detail if kind == "NEGATIVE" and detail in KEYS["NEGATIVE"] else rng.choice(KEYS[kind])
        )
        args[key] = value
    elif location == "results":
        if rng.random() < 0.5:
            result = dumps({"status": "ok", rng.choice(KEYS[kind]): value})
        else:
            result = RESULT_TEXT[kind].format(v=value)
    else:
        answer = ANSWER[kind].format(v=value)
    call = tool_call("lookup", args, id="call_1")
    messages = [
        message("system", system),
        message("user", user),
        message("assistant", None, tool_calls=[call]),
        message("tool", result, tool_call_id="call_1"),
    ]
    return new_record(
        source={"format": "pii-corpus"},
        messages=messages,
        response=message("assistant", answer),
        tools=[tool("lookup", "Look up an order or a customer.")],
    )


KINDS = ("PERSON", "LOCATION", *STRUCTURED, "SECRET", "NEGATIVE")
WEIGHTS = (5, 4, 1, 2, 1, 1, 1, 1, 2, 4)


def corpus(n: int, seed: int = 0, kinds: tuple[str, ...] = KINDS) -> Iterator[Sample]:
    """``n`` labelled samples, the same for the same ``seed``."""
    rng = random.Random(seed)
    weights = [w for k, w in zip(KINDS, WEIGHTS, strict=True) if k in kinds]
    for _ in range(n):
        kind = rng.choices(kinds, weights)[0]
        value, detail, script = _value(kind, rng)
        location = rng.choice(LOCATIONS)
        record = _record(kind, value, location, detail, rng)
        yield Sample(record, value, kind, detail, script, location)
