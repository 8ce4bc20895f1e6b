"""Products, sizes, dates, carriers, e-mail domains, support agents, discount codes."""

from __future__ import annotations

# --- catalogue -------------------------------------------------------------------------------

# (full name, short name used in customer text, SKU, unit price USD, category)
PRODUCTS = (
    ("NVIDIA Logo Hoodie", "hoodie", "NV-APP-10234", 64.00, "apparel"),
    ("GeForce RTX Crewneck Sweatshirt", "crewneck sweatshirt", "NV-APP-10311", 58.00, "apparel"),
    ("NVIDIA Ankle Socks (3-pack)", "ankle socks", "NV-APP-10477", 18.00, "apparel"),
    ("GTC 2025 T-Shirt", "GTC t-shirt", "NV-APP-10502", 28.00, "apparel"),
    ("NVIDIA Green Polo", "polo shirt", "NV-APP-10519", 46.00, "apparel"),
    ("Jetson Beanie", "beanie", "NV-APP-10560", 24.00, "apparel"),
    ("NVIDIA Baseball Cap", "baseball cap", "NV-APP-10588", 26.00, "apparel"),
    ("NVIDIA Fleece Jacket", "fleece jacket", "NV-APP-10620", 89.00, "apparel"),
    ("NVIDIA Quarter-Zip Pullover", "quarter-zip", "NV-APP-10647", 72.00, "apparel"),
    ("Women's NVIDIA Performance Tee", "performance tee", "NV-APP-10693", 32.00, "apparel"),
    ("NVIDIA Insulated Water Bottle", "water bottle", "NV-ACC-20105", 30.00, "accessory"),
    ("NVIDIA Laptop Backpack", "backpack", "NV-ACC-20142", 95.00, "accessory"),
    ("NVIDIA Ceramic Coffee Mug", "coffee mug", "NV-ACC-20177", 16.00, "accessory"),
    ("GeForce Desk Mat XL", "desk mat", "NV-ACC-20209", 35.00, "accessory"),
    ("NVIDIA Enamel Pin Set", "pin set", "NV-ACC-20238", 14.00, "accessory"),
    ('NVIDIA Laptop Sleeve 15"', "laptop sleeve", "NV-ACC-20264", 42.00, "accessory"),
    ("NVIDIA Canvas Tote Bag", "tote bag", "NV-ACC-20291", 22.00, "accessory"),
    ("NVIDIA Sticker Pack", "sticker pack", "NV-ACC-20315", 8.00, "accessory"),
    ("Jetson Orin Nano Super Developer Kit", "Jetson Orin Nano", "NV-HW-30018", 249.00, "hardware"),
    ("Jetson AGX Orin 64GB Developer Kit", "Jetson AGX Orin", "NV-HW-30052", 1999.00, "hardware"),
    ("GeForce RTX 4090 Founders Edition", "RTX 4090", "NV-HW-30107", 1599.00, "hardware"),
    (
        "GeForce RTX 4080 SUPER Founders Edition",
        "RTX 4080 Super",
        "NV-HW-30133",
        999.00,
        "hardware",
    ),
    ("SHIELD TV Pro", "SHIELD TV Pro", "NV-HW-30176", 199.99, "hardware"),
    ("SHIELD Remote", "SHIELD remote", "NV-HW-30190", 29.99, "hardware"),
    ("Jetson 19V Power Supply", "Jetson power supply", "NV-HW-30214", 39.00, "hardware"),
)
SIZES = ("XS", "S", "M", "L", "XL", "XXL")
COLORS = ("black", "green", "grey", "white", "navy")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WHEN = (
    "last week",
    "two weeks ago",
    "three days ago",
    "yesterday",
    "on Monday",
    "a few days ago",
    "at the start of the month",
    "about ten days ago",
    "last Friday",
)
CARRIERS = ("UPS", "FedEx", "USPS", "DHL")
EMAIL_DOMAINS = (
    "gmail.com",
    "gmail.com",
    "yahoo.com",
    "outlook.com",
    "hotmail.com",
    "icloud.com",
    "proton.me",
)
AGENTS = ("Priya", "Marcus", "Elena", "Tomás", "Aiko", "Jamal", "Sofia", "Ben")
DISCOUNT_CODES = ("GTC25", "SPRING15", "WELCOME10", "DEVKIT20")
