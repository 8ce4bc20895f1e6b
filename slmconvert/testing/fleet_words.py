"""Word tables of the fleet generator: business domains, their objects, and request wordings."""

from __future__ import annotations

# (domain, organisation, the objects its tools work on, what its agent is for)
DOMAINS = (
    ("flight booking", "SkyWays", ("flight", "seat", "fare", "boarding pass"), "travellers"),
    ("hotel reservations", "StayWell", ("room", "reservation", "rate", "amenity"), "guests"),
    ("payroll", "PayRight", ("payslip", "salary", "deduction", "timesheet"), "employees"),
    ("IT helpdesk", "Helix IT", ("laptop", "ticket", "password", "vpn access"), "staff"),
    ("insurance claims", "SafeHarbor", ("claim", "policy", "deductible", "adjuster"), "holders"),
    ("pharmacy", "MedQuick", ("prescription", "refill", "dosage", "pharmacist"), "patients"),
    ("banking", "NorthBank", ("account", "transfer", "card", "statement"), "customers"),
    ("food delivery", "FeastNow", ("meal order", "courier", "restaurant", "menu"), "diners"),
    ("car rental", "DriveAway", ("rental car", "pickup", "mileage", "insurance"), "renters"),
    ("telecom", "LinkTel", ("mobile plan", "data usage", "sim card", "roaming"), "subscribers"),
    ("real estate", "HomeBase", ("listing", "viewing", "offer", "mortgage"), "buyers"),
    ("legal intake", "LexDesk", ("case", "contract", "deadline", "retainer"), "clients"),
    (
        "recruiting",
        "TalentHub",
        ("candidate", "job opening", "interview", "offer letter"),
        "recruiters",
    ),
    ("energy utility", "VoltGrid", ("meter reading", "tariff", "outage", "bill"), "households"),
    (
        "cloud hosting",
        "NimbusOps",
        ("virtual machine", "bucket", "quota", "deployment"),
        "engineers",
    ),
    ("e-learning", "LearnLoop", ("course", "quiz", "certificate", "enrollment"), "students"),
    ("fitness club", "PulseGym", ("membership", "class booking", "trainer", "locker"), "members"),
    ("veterinary", "PawCare", ("pet", "vaccination", "appointment", "treatment"), "pet owners"),
    ("logistics", "FreightLine", ("shipment", "pallet", "warehouse", "customs form"), "shippers"),
    ("ticketing", "StageDoor", ("concert ticket", "venue", "seat map", "refund"), "fans"),
    (
        "tax filing",
        "TaxEase",
        ("tax return", "receipt", "deduction claim", "filing status"),
        "filers",
    ),
    ("home repair", "FixIt", ("repair job", "technician", "quote", "warranty"), "homeowners"),
    ("library", "PageTurn", ("book loan", "hold", "late fee", "ebook"), "readers"),
    (
        "municipal services",
        "CityDesk",
        ("permit", "parking fine", "waste pickup", "pothole"),
        "residents",
    ),
    ("dental clinic", "BrightSmile", ("checkup", "cleaning", "x-ray", "invoice"), "patients"),
    ("grocery", "FreshCart", ("basket", "substitution", "delivery slot", "coupon"), "shoppers"),
    (
        "investment",
        "Summit Capital",
        ("portfolio", "trade", "dividend", "risk profile"),
        "investors",
    ),
    (
        "gaming support",
        "PixelForge",
        ("game account", "purchase", "ban appeal", "save file"),
        "players",
    ),
    (
        "airline loyalty",
        "SkyMiles",
        ("miles balance", "tier status", "award ticket", "partner"),
        "flyers",
    ),
    ("event planning", "GalaPlan", ("event", "guest list", "catering", "venue booking"), "hosts"),
    ("auto repair", "GearHead", ("service visit", "part", "diagnostic", "estimate"), "drivers"),
    (
        "crypto exchange",
        "CoinVault",
        ("wallet", "withdrawal", "trade order", "kyc check"),
        "traders",
    ),
    (
        "university admin",
        "CampusOne",
        ("transcript", "tuition", "course registration", "housing"),
        "students",
    ),
    ("parking", "ParkSmart", ("parking spot", "permit", "session", "violation"), "drivers"),
    ("charity", "GiveMore", ("donation", "receipt", "campaign", "pledge"), "donors"),
    ("furniture store", "OakHouse", ("sofa", "assembly", "delivery", "fabric sample"), "buyers"),
    (
        "cybersecurity",
        "ShieldOps",
        ("alert", "incident", "vulnerability", "firewall rule"),
        "analysts",
    ),
    (
        "wedding registry",
        "WedList",
        ("gift", "registry", "thank-you card", "contribution"),
        "couples",
    ),
    (
        "hr benefits",
        "BenefitWise",
        ("health plan", "leave request", "pension", "dependant"),
        "employees",
    ),
    ("procurement", "BuyRight", ("purchase order", "supplier", "invoice", "approval"), "buyers"),
    (
        "clinical trials",
        "TrialNet",
        ("participant", "visit", "consent form", "adverse event"),
        "coordinators",
    ),
    ("printing", "InkJet Pro", ("print job", "proof", "paper stock", "reorder"), "designers"),
    ("pet supplies", "ChewyCo", ("pet food order", "subscription", "autoship", "toy"), "owners"),
    ("solar install", "SunRoof", ("panel", "site survey", "inverter", "rebate"), "homeowners"),
    ("museum", "ArtHall", ("exhibition", "membership", "tour", "audio guide"), "visitors"),
    ("marina", "Harbor Point", ("berth", "boat", "fuel order", "storage"), "boaters"),
)

VERBS = ("get", "list", "create", "update", "cancel", "search")

# Paraphrases of a node's system prompt: {org}, {domain}, {people}, {role}
PROMPTS = (
    "You are the {domain} assistant of {org}. {role} Always answer {people} politely.",
    "{org} {domain} agent. Your job: {role} Be polite to {people}.",
    "As {org}'s virtual {domain} helper you serve {people}. {role}",
    "System: {org} / {domain}. Role: {role} Audience: {people}. Keep answers short.",
)

# What a node does, beside its domain: two nodes with one tool set differ here. {a} and {b}
# are two of the domain's objects, so every node's instructions are its own
ROLES = (
    "Answer questions about {a} and {b}, and call a tool whenever live data is needed.",
    "Review each incoming {a} request for fraud and risk; flag anything suspicious for a human "
    "investigator and never approve it yourself.",
    "Write a short hand-over summary of the {a} conversation for the next human agent.",
    "Pull the structured fields about the {a} out of the message and return them as JSON.",
    "Route the {a} or {b} request to the right specialist tool without answering it yourself.",
    "Draft a friendly reply email that resolves the {a} request.",
)
# Roles whose input is not a customer's question but a document to work on
ROLE_INPUTS = {
    1: "review",
    2: "summary",
    3: "extract",
}

# Sub-tasks: kinds of input, clearly different from each other. {o} object, {id} a reference,
# {name} a person, {when} a date, {num} a number, {extra} a unique clause
SUBTASKS = {
    # customers asking: status, changes, complaints, how-to (one sub-task, many wordings)
    "question": (
        "Hi, what is the current status of my {o} {id}? {extra}",
        "Can you check the status of my {o} {id} for me? {extra}",
        "Status update please: where does my {o} {id} stand? {extra}",
        "I'd like to know the status of {o} {id}. {extra}",
        "I need to change my {o} {id} to {when} instead. {extra}",
        "Please change {o} {id}: move it to {when}. {extra}",
        "Can I change the date of my {o} {id} to {when}? {extra}",
        "Change request: {o} {id} should be moved to {when}. {extra}",
        "I want to file a complaint: my {o} was handled terribly and {name} was rude. {extra}",
        "Complaint about my {o}: awful service, nobody called back. {extra}",
        "I am filing a formal complaint about the {o}, this was unacceptable. {extra}",
        "This is a complaint. The {o} went badly wrong again and I am furious. {extra}",
        "How do I set up a {o} myself, step by step? {extra}",
        "Can you explain how to set up a {o} for the first time? {extra}",
        "What are the steps to set up a new {o} on my own? {extra}",
        "How does setting up a {o} work, is there a guide? {extra}",
    ),
    # documents other systems send, each kind in its sender's format with fields that vary
    "review": (
        "FRAUD REVIEW | case {id} | {o} request by {name} | amount ${num}.{cents} | signals: "
        "new device, {num} attempts | {extra}",
        "FRAUD REVIEW | case {id} | {o} request | amount ${num}.{cents} | signals: address "
        "changed on {when} | {extra}",
        "FRAUD REVIEW | case {id} | {o} refund by {name} | amount ${num}.{cents} | signals: "
        "mismatched email {email} | {extra}",
    ),
    "summary": (
        "TRANSCRIPT {id}\nCustomer: my {o} is still not sorted. {extra}\nAgent: I have "
        "escalated it.\nCustomer: when will I hear back?",
        "TRANSCRIPT {id}\nCustomer: the {o} from {when} is wrong.\nAgent: let me check. "
        "{extra}\nAgent: a colleague will call you.",
        "TRANSCRIPT {id}\nAgent: hello {name}, how can I help?\nCustomer: question about my "
        "{o}. {extra}\nAgent: noted, closing for now.",
    ),
    "extract": (
        "EMAIL\nFrom: {name} <{email}>\nSubject: {o} {id}\n\n{extra} Please sort it out.",
        "EMAIL\nFrom: {email}\nSubject: Re: {o}\n\nHello, about {id}: {extra} Regards, {name}",
        "EMAIL\nFrom: {name} <{email}>\nSubject: question on {o} from {when}\n\n{extra}",
    ),
}

EXTRAS = (
    "My name is {name} and my email is {email}.",
    "You can reach me at {phone}.",
    "It was supposed to be done by {when}.",
    "I have been a customer for {num} years.",
    "The amount was ${num}.{cents}.",
    "Reference from your colleague: {id}.",
    "Thanks in advance, {name}.",
    "This is urgent, I travel on {when}.",
    "Sent from my phone.",
    "I already tried the website twice.",
)

FIRST_NAMES = ("Avery", "Jordan", "Mina", "Tomás", "Keiko", "Lars", "Ngozi", "Priya", "Omar")
LAST_NAMES = ("Okafor", "Lindqvist", "Tanaka", "Moreau", "Haddad", "Kowalski", "Reyes", "Ito")
