"""Word tables for `slmconvert.testing.traffic`: prompts, tools, templates, products, policies.

Everything here is plain data (tuples of strings with ``{field}`` slots filled by the generator),
so the wording can grow without touching the generator's logic.
"""

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

# --- 1. routing: the NVIDIA Data Flywheel sample router (exact prompt and tools) --------------

ROUTER_SYSTEM = (
    "You are a helpful customer support assistant for NVIDIA Gear Store. \n"
    "Your primary role is to assist the user to answer customer queries. \n"
    "If a customer asks about his products, his order status, or queries related to processing return, \n"
    "delegate the task to the appropriate specialized assistant by invoking the corresponding tool. "
    "You are not able to make these types of changes yourself. \n"
    "Only the specialized assistants are given permission to do this for the user.\n"
    "Provide detailed information to the customer, and always double-check the database before "
    "concluding that information is unavailable. \n"
    "The user is not aware of the different specialized assistants, so do not mention them; "
    "just quietly delegate through function calls. \n"
    "When searching, be persistent. Expand your query bounds if the first search returns no results. \n"
    "If a search comes up empty, expand your search before giving up.\n"
    "If the customer asks anything outside the scope of order status, returns, or their products, "
    "invoke the `HandleOtherTalk` tool to manage the conversation seamlessly.\n"
    "The current user id is : {user_id}\n"
)
# Variants seen on the other gateways (same router, edited prompts).
ROUTER_SYSTEM_VARIANTS = (
    ROUTER_SYSTEM,
    "You are the front-desk assistant of the NVIDIA Gear Store. Decide which specialist should "
    "handle the customer's message and call exactly one tool:\n"
    "- product questions, specs, warranty, store policies -> ToProductQAAssistant\n"
    "- orders, deliveries, purchase history -> ToOrderStatusAssistant\n"
    "- returns, exchanges, refunds -> ToReturnProcessing\n"
    "- greetings and anything else -> HandleOtherTalk\n"
    "Never answer the question yourself and never mention the specialists.\n"
    "The current user id is : {user_id}\n",
    "NVIDIA Gear Store support router. Delegate silently through function calls; you cannot "
    "change orders yourself. If the request is outside orders, returns or products, use "
    "`HandleOtherTalk`.\nCurrent user id: {user_id}\n",
)
ROUTER_TOOLS = (
    {
        "name": "HandleOtherTalk",
        "description": "Handles greetings and other absurd queries by offering polite redirection and clearly explaining the limitations of the chatbot.",
        "parameters": {
            "properties": {"message": {"type": "string"}},
            "required": ["message"],
            "type": "object",
        },
    },
    {
        "name": "ToProductQAAssistant",
        "description": "Transfers work to a specialized assistant to handle Product QA. \nAnswers generic queries about products, including their descriptions, specifications, warranties, usage instructions, and troubleshooting issues.\nCan also address queries based on product manuals, product catalogs, FAQs, policy documents, and general product-related inquiries.\nCan also answer queries about the NVIDIA Gear Store's product offerings, policies, order management, shipping information, payment methods, returns, and customer service contacts.",
        "parameters": {
            "properties": {
                "query": {
                    "description": "The question or issue related to the product. This can involve asking about product specifications, usage guidelines, troubleshooting, warranty details, or other product-related concerns.",
                    "type": "string",
                }
            },
            "required": ["query"],
            "type": "object",
        },
    },
    {
        "name": "ToOrderStatusAssistant",
        "description": "Delegates queries specifically related to orders or purchase history to a specialized assistant.\nThis assistant handles inquiries regarding Order ID, Order Date, Quantity, Order Amount, Order Status, \nand any other questions related to the user's purchase history.",
        "parameters": {
            "properties": {
                "query": {
                    "description": "The specific query regarding the order or purchase history, such as order status, delivery updates, or historical purchase information.",
                    "type": "string",
                },
                "user_id": {"description": "The unique identifier of the user.", "type": "string"},
            },
            "required": ["query", "user_id"],
            "type": "object",
        },
    },
    {
        "name": "ToReturnProcessing",
        "description": "Transfers work to a specialized assistant which handles processing of a product return request.\nThis assistant handles inquiries regarding return transactions, including return status, relevant dates, \nreasons for return, notes, and any other questions related to return processing.",
        "parameters": {
            "properties": {
                "query": {
                    "description": "The specific return-related query, such as the status of the return, refund details, or return policy.",
                    "type": "string",
                },
                "user_id": {
                    "description": "The unique identifier of the user requesting the return.",
                    "type": "string",
                },
            },
            "required": ["query", "user_id"],
            "type": "object",
        },
    },
)

# (customer text, argument paraphrase) per tool. Slots: product apparel gadget accessory when
# order_id size color days weekday.
ROUTES = {
    "ToReturnProcessing": (
        (
            "I've been trying to return my {product} for weeks. Why the hold up?",
            "Why the hold up with my return of {product}?",
        ),
        (
            "I want to return the {apparel} I bought {when}, it doesn't fit.",
            "Return {apparel} bought {when} because it doesn't fit",
        ),
        (
            "How do I send back a {product}? It arrived damaged.",
            "How to return a damaged {product}",
        ),
        (
            "Can I get a refund for the {product}? I changed my mind.",
            "Refund for {product}, customer changed their mind",
        ),
        (
            "I returned my {product} {when} but I still haven't seen the refund.",
            "Refund not received for {product} returned {when}",
        ),
        (
            "The {apparel} is the wrong size, I ordered a {size}. Can I exchange it?",
            "Exchange {apparel} received in wrong size, ordered {size}",
        ),
        (
            "What's the status of my return for order {order_id}?",
            "Status of return for order {order_id}",
        ),
        ("I need a return label for my {product}.", "Return label for {product}"),
        (
            "My {gadget} stopped working after {days} days, I want my money back.",
            "Refund for {gadget} that stopped working after {days} days",
        ),
        (
            "Is it too late to return the {product} I got {when}?",
            "Can the {product} received {when} still be returned?",
        ),
        (
            "You sent me a {color} {apparel} but I ordered a different color. I'd like to return it.",
            "Return {color} {apparel} received in the wrong color",
        ),
        (
            "Please cancel my return request for the {product}, I decided to keep it.",
            "Cancel return request for {product}",
        ),
        (
            "Why was my return for {order_id} rejected?",
            "Why was the return for order {order_id} rejected?",
        ),
        (
            "I got charged a restocking fee on my {gadget} return. What is that?",
            "Restocking fee charged on {gadget} return",
        ),
        (
            "The refund for {order_id} went to the wrong card, can you fix it?",
            "Refund for order {order_id} went to the wrong card",
        ),
        (
            "I dropped off the {product} at UPS {when}, has the return been received?",
            "Has the {product} return dropped off {when} been received?",
        ),
        ("how do returns work for the {accessory}", "Return process for {accessory}"),
        (
            "I'd like to swap my {apparel} for a {size} please.",
            "Exchange {apparel} for size {size}",
        ),
    ),
    "ToOrderStatusAssistant": (
        (
            "Where is my {product}? I ordered it {when} and it still hasn't arrived.",
            "Where is the {product} ordered {when}?",
        ),
        ("Can you check the status of order {order_id}?", "Status of order {order_id}"),
        ("Has my {product} shipped yet?", "Has the {product} shipped?"),
        (
            "What's the tracking number for my last order?",
            "Tracking number for the most recent order",
        ),
        (
            "My order {order_id} says delivered but I never got it.",
            "Order {order_id} marked delivered but not received",
        ),
        (
            "When will my {product} arrive? I need it by {weekday}.",
            "Expected delivery date for {product}, needed by {weekday}",
        ),
        ("What did I pay for order {order_id}?", "Order amount for {order_id}"),
        ("Can you show me my purchase history?", "Purchase history"),
        (
            "I placed an order {when} and never got a confirmation email.",
            "No confirmation for order placed {when}",
        ),
        (
            "Is order {order_id} still processing? It's been {days} days.",
            "Order {order_id} still processing after {days} days",
        ),
        (
            "Did my order for the {product} go through?",
            "Was the order for the {product} placed successfully?",
        ),
        ("Why is my package stuck in transit?", "Package stuck in transit"),
        ("When did I order the {product}?", "Order date of the {product}"),
        (
            "Can I change the shipping address on order {order_id}?",
            "Change shipping address on order {order_id}",
        ),
        (
            "How many items were in my order from {when}?",
            "Quantity of items in the order from {when}",
        ),
        (
            "The tracking for my {gadget} hasn't moved in {days} days.",
            "Tracking for {gadget} not updated in {days} days",
        ),
        ("order {order_id} status??", "Status of order {order_id}"),
        (
            "I ordered a {accessory} and a {apparel}, only one showed up. Where's the other?",
            "Only part of the order ({accessory}, {apparel}) arrived",
        ),
    ),
    "ToProductQAAssistant": (
        ("What sizes does the {apparel} come in?", "Available sizes for the {apparel}"),
        (
            "Is the {apparel} true to size? I'm usually a {size}.",
            "Does the {apparel} run true to size for a usual {size}?",
        ),
        (
            "Can I put the {apparel} in the dryer?",
            "Care instructions for the {apparel}: is it dryer safe?",
        ),
        ("What material is the {apparel} made of?", "Material of the {apparel}"),
        ("Is the {apparel} available in {color}?", "Is the {apparel} available in {color}?"),
        (
            "Does the {gadget} come with a power supply?",
            "Is a power supply included with the {gadget}?",
        ),
        ("What's the warranty on the {gadget}?", "Warranty for the {gadget}"),
        (
            "Will the {gadget} work with Ubuntu 22.04?",
            "Compatibility of the {gadget} with Ubuntu 22.04",
        ),
        (
            "My {gadget} won't boot, the fan spins but nothing shows on screen.",
            "Troubleshooting a {gadget} that won't boot",
        ),
        ("How much memory does the {gadget} have?", "Memory specifications of the {gadget}"),
        ("Is the {gadget} in stock right now?", "Stock availability of the {gadget}"),
        ("How do I update the firmware on my {gadget}?", "Firmware update steps for the {gadget}"),
        ("Is the {accessory} dishwasher safe?", "Is the {accessory} dishwasher safe?"),
        ("What are the dimensions of the {accessory}?", "Dimensions of the {accessory}"),
        ("Do you ship to Canada?", "Shipping to Canada"),
        ("What payment methods do you accept?", "Accepted payment methods"),
        (
            "What's the difference between the Jetson Orin Nano and the AGX Orin?",
            "Differences between Jetson Orin Nano and Jetson AGX Orin",
        ),
        (
            "Does the {accessory} fit a 16 inch laptop?",
            "Does the {accessory} fit a 16-inch laptop?",
        ),
        ("can the {gadget} run llama 3 8b locally", "Can the {gadget} run Llama 3 8B locally?"),
    ),
    "HandleOtherTalk": (
        ("Hi there!", "Hi there!"),
        ("Good morning, how are you today?", "Good morning, how are you today?"),
        ("Thanks, that's all I needed.", "Thanks, that's all I needed."),
        ("Can you tell me a joke?", "Can you tell me a joke?"),
        ("What's the weather like in Santa Clara?", "What's the weather like in Santa Clara?"),
        ("Who won the game last night?", "Who won the game last night?"),
        ("Write me a poem about GPUs.", "Write me a poem about GPUs."),
        ("Are you a real person?", "Are you a real person?"),
        ("What's NVIDIA's stock price today?", "What's NVIDIA's stock price today?"),
        ("Can you help me with my math homework?", "Can you help me with my math homework?"),
        ("What is the meaning of life?", "What is the meaning of life?"),
        (
            "Can you recommend a good restaurant nearby?",
            "Can you recommend a good restaurant nearby?",
        ),
        ("Translate 'good morning' into French.", "Translate 'good morning' into French."),
        ("Do you like video games?", "Do you like video games?"),
        ("bye", "bye"),
        ("I'm bored, talk to me.", "I'm bored, talk to me."),
        ("What is 17 times 23?", "What is 17 times 23?"),
        ("Can you book me a flight to Taipei?", "Can you book me a flight to Taipei?"),
    ),
}
MOOD_PREFIX = (
    "",
    "",
    "",
    "Hi! ",
    "Hello. ",
    "Hey there! ",
    "Ugh. ",
    "Quick question: ",
    "Good afternoon. ",
)
MOOD_SUFFIX = (
    "",
    "",
    "",
    " Thanks!",
    " Please help.",
    " This is so frustrating.",
    " I'm really disappointed.",
    " Appreciate it.",
    " ASAP please!!",
    " Thank you in advance.",
)
# Personal data a customer volunteers in a routing message (the scrubber's work).
ROUTE_PII = (
    "This is {name}, {email}. ",
    "My name is {name} and my phone number is {phone}. ",
    "Account email: {email}. ",
    "(customer {customer_id}) ",
)

# --- 2. order_status ---------------------------------------------------------------------------

ORDER_SYSTEMS = (
    "You are the order status assistant for NVIDIA Gear Store. You help the signed-in customer "
    "with questions about their orders, shipments and deliveries. Always look up live data with "
    "the tools before answering; never guess. Do not reveal information about other customers.\n\n"
    "Signed-in customer: {name} <{email}>\nCustomer ID: {customer_id}\nToday's date: {today}",
    "You are AIVA's order-status specialist for the NVIDIA Gear Store. The customer on the line "
    "is {name} (customer id {customer_id}, email {email}). Use get_order_status when they give an "
    "order number and get_customer_orders otherwise. Quote tracking numbers exactly. Today is {today}.",
    "# Role\nOrder support agent for the NVIDIA Gear Store online shop.\n# Customer\n- Name: {name}\n"
    "- Email: {email}\n- Phone: {phone}\n- ID: {customer_id}\n# Rules\n- Look orders up with the "
    "tools, never from memory.\n- Keep answers under 80 words.\n- Date: {today}",
    "You help NVIDIA Gear Store customers track their orders. The customer is {name} ({email}, "
    "{customer_id}). Use the tools, then answer briefly and kindly.",
)
_ADDRESS_SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "street": {"type": "string"},
        "city": {"type": "string"},
        "state": {"type": "string"},
        "postal_code": {"type": "string"},
        "country": {"type": "string"},
    },
    "required": ["name", "street", "city", "postal_code", "country"],
}
ORDER_TOOLS = (
    {
        "name": "get_order_status",
        "description": "Look up one order by its order number: status, items, amounts, shipping address and tracking.",
        "parameters": {
            "type": "object",
            "properties": {
                "order_id": {"type": "string", "description": "Order number, e.g. ORD-2025-004812."}
            },
            "required": ["order_id"],
        },
    },
    {
        "name": "get_customer_orders",
        "description": "List a customer's recent orders, newest first.",
        "parameters": {
            "type": "object",
            "properties": {
                "customer_id": {"type": "string", "description": "Customer ID, e.g. CUST-104233."},
                "limit": {
                    "type": "integer",
                    "description": "How many orders to return (default 5).",
                },
            },
            "required": ["customer_id"],
        },
    },
    {
        "name": "find_orders_by_email",
        "description": "Find orders placed with an email address (guest checkouts).",
        "parameters": {
            "type": "object",
            "properties": {"email": {"type": "string"}},
            "required": ["email"],
        },
    },
    {
        "name": "track_shipment",
        "description": "Latest carrier scan events for a tracking number.",
        "parameters": {
            "type": "object",
            "properties": {
                "tracking_number": {"type": "string"},
                "carrier": {"type": "string", "enum": list(CARRIERS)},
            },
            "required": ["tracking_number", "carrier"],
        },
    },
    {
        "name": "update_shipping_address",
        "description": "Change the shipping address of an order that has not shipped yet.",
        "parameters": {
            "type": "object",
            "properties": {"order_id": {"type": "string"}, "address": _ADDRESS_SCHEMA},
            "required": ["order_id", "address"],
        },
    },
    {
        "name": "get_refund_status",
        "description": "Refund status for a cancelled or returned order.",
        "parameters": {
            "type": "object",
            "properties": {"order_id": {"type": "string"}},
            "required": ["order_id"],
        },
    },
)
# Openings that give the order number (-> get_order_status).
ORDER_ASK_ID = (
    "Hi, can you check on order {order_id}?",
    "Where is my order {order_id}? It's been a week.",
    "Any update on {order_id}? I need the {product} by {weekday}.",
    "What's the status of order {order_id} please",
    "I ordered a {product} (order {order_id}) {when}. Has it shipped?",
    "order {order_id} - where is it",
    "Hello, my order number is {order_id}. When will it arrive?",
    "Can you tell me when {order_id} is going to be delivered?",
    "I'm {name}. Order {order_id} was supposed to arrive {when}, what happened?",
    "Tracking for {order_id} isn't working, can you look it up?",
    "Was order {order_id} cancelled? I got a weird email.",
    "Is my {product} from order {order_id} out for delivery today?",
    "Hey! Just checking on {order_id}, thanks.",
    "My order {order_id} shows delivered but there's nothing at my door.",
    "Could you confirm the delivery date for {order_id}? I paid with my card {card}.",
    "I need the status of {order_id} for my expense report.",
)
# Openings without an order number (-> get_customer_orders with the signed-in customer's ID).
ORDER_ASK_MINE = (
    "Where is my latest order?",
    "Has my {product} shipped yet?",
    "I ordered something {when} and haven't heard anything. Can you check?",
    "What's happening with my most recent order?",
    "Can you check my orders? I'm waiting on a {product}.",
    "When is my {product} arriving?",
    "hi, did my last order go out yet",
    "My package still hasn't arrived. It's been {days} days.",
    "I'm {name} - can you see if my {product} is on the way?",
    "Can you give me the tracking number for my last purchase?",
    "I think my order is lost. Can you help?",
    "Is there any update on the stuff I bought {when}?",
)
# Openings giving an email (guest checkout -> find_orders_by_email).
ORDER_ASK_EMAIL = (
    "I checked out as a guest with {email}. Where's my order?",
    "My email is {email}, can you find my {product} order?",
    "Hi, this is {name} ({email}). I never got a shipping confirmation.",
    "Can you look up orders under {email}? Phone is {phone} if you need it.",
    "I placed an order with {email} {when}, when will it ship?",
)
ORDER_ANSWERS = {
    "processing": (
        "Hi {first}! Order {order_id} ({items}) is still being prepared at our warehouse. It was placed on {order_date} and should ship within 1-2 business days; you'll get an email with tracking as soon as it leaves.",
        "Order {order_id} hasn't shipped yet - it's in processing since {order_date}. Once it ships to {city} you'll receive the tracking number by email.",
        "Thanks for waiting, {first}. Your order {order_id} for {items} (total ${total}) is being packed and is expected to ship by {ship_by}.",
    ),
    "shipped": (
        "Good news - order {order_id} shipped on {ship_date} via {carrier} (tracking {tracking}). It's expected at {street}, {city} by {eta}.",
        "Your {items} left our warehouse on {ship_date}. {carrier} tracking number: {tracking}. Estimated delivery: {eta}.",
        "Hi {first}, order {order_id} is on its way with {carrier} and should arrive by {eta}. You can follow it with tracking number {tracking}.",
    ),
    "out_for_delivery": (
        "Order {order_id} is out for delivery today with {carrier} and should reach {city} by the end of the day. Tracking: {tracking}.",
        "It's almost there, {first}! {carrier} has your {items} on the truck for delivery to {street} today.",
    ),
    "delivered": (
        "Order {order_id} was delivered on {delivered} to {street}, {city}. If you can't find it, please check with neighbours or your mailroom, and let me know if it's still missing after 24 hours.",
        "According to {carrier}, your {items} were delivered on {delivered} (tracking {tracking}). If it isn't there, I can open a missing-package claim for you.",
        "Hi {first}, {carrier} shows order {order_id} as delivered to {street} on {delivered}.",
    ),
    "delayed": (
        "I'm sorry, {first} - order {order_id} is delayed in transit with {carrier}. The new estimated delivery date is {eta}. Tracking: {tracking}.",
        "Your package ({tracking}) is running late because of a carrier backlog. {carrier} now expects to deliver it to {city} by {eta}.",
    ),
    "cancelled": (
        "Order {order_id} was cancelled on {cancelled} and a refund of ${total} was issued to your {method} ending in {last4}. It can take 5-7 business days to appear.",
        "That order ({order_id}) is cancelled - the ${total} refund went back to your {method} ending {last4} on {cancelled}.",
    ),
}
# Follow-up turns: (kind, customer text)
ORDER_FOLLOWUPS = (
    ("address", "Can you send it to {new_address} instead?"),
    ("address", "I moved - please change the delivery address to {new_address}."),
    ("track", "Where exactly is the package right now?"),
    ("track", "Can you check the latest scan for me?"),
    ("refund", "When will the refund show up on my card?"),
    ("refund", "Has the refund been processed yet?"),
)
ADDRESS_DONE = "Done - order {order_id} will now ship to {new_street}, {new_city}."
ADDRESS_REFUSED = "I'm sorry, order {order_id} has already left our warehouse, so the address can't be changed. You can ask {carrier} to redirect it with tracking number {tracking}."
TRACK_ANSWER = 'The last scan was in {scan_city} on {scan_time}: "{scan_event}". It\'s still expected by {eta}.'
REFUND_ANSWER = "Refund {refund_id} for ${total} was issued on {refund_date} to your card ending in {last4}; banks usually post it within 5-7 business days."
SCAN_EVENTS = (
    "Departed facility",
    "Arrived at facility",
    "In transit",
    "Out for delivery",
    "Processing at hub",
)

# --- 3. extraction -----------------------------------------------------------------------------

EXTRACT_SYSTEMS = (
    "Extract the customer's details as JSON with keys name, email, phone, order_id, issue. Use null for anything the email does not contain. Reply with the JSON object only.",
    "You are a ticket-intake parser for NVIDIA Gear Store support. Read the customer email and return a JSON object with exactly these keys: name, email, phone, order_id, issue (one short phrase). Missing values are null. No prose.",
    'Extract structured fields from the support email below.\nOutput JSON: {"name": str|null, "email": str|null, "phone": str|null, "order_id": str|null, "issue": str}\nReturn only JSON.',
)
EXTRACT_USER = ("{email_text}", "Customer email:\n\n{email_text}", "---\n{email_text}\n---")
# (customer's description, short issue label, kind). Slots: product apparel gadget accessory when
# size card amount tracking weekday address code.
ISSUES = (
    (
        "I ordered the {product} {when} and it still hasn't arrived. The tracking number {tracking} hasn't updated in five days.",
        "order not delivered, tracking not updating",
        "delivery",
    ),
    (
        "The {apparel} I received is the wrong size. I ordered a {size} but got something much smaller.",
        "received wrong size of {apparel}",
        "return",
    ),
    (
        "I was charged twice for my order - two charges of ${amount} on my card {card}.",
        "double charge of ${amount}",
        "billing",
    ),
    (
        "My {gadget} arrived with a cracked casing. The box was crushed too.",
        "{gadget} arrived damaged",
        "damage",
    ),
    (
        "I returned the {product} {when} but I still haven't received my refund.",
        "refund not received for returned {product}",
        "return",
    ),
    (
        "I need to change the delivery address on my order to {address}.",
        "change delivery address",
        "order",
    ),
    (
        "I'd like to cancel my order, I placed it by mistake.",
        "cancel order placed by mistake",
        "order",
    ),
    (
        "The discount code {code} didn't apply at checkout even though it was valid.",
        "discount code {code} not applied",
        "billing",
    ),
    (
        "My {gadget} stopped working after two weeks. It won't power on at all.",
        "{gadget} defective after two weeks",
        "damage",
    ),
    (
        "I never received an order confirmation email, but the money left my account.",
        "no order confirmation email",
        "order",
    ),
    (
        "The package was marked as delivered {when} but it is not at my door and my neighbours don't have it.",
        "package marked delivered but not received",
        "delivery",
    ),
    (
        "Can I exchange the {apparel} for a bigger size? The {size} is too tight.",
        "exchange {apparel} for a larger size",
        "return",
    ),
    (
        "I was charged ${amount} for shipping even though my order was over $50.",
        "charged shipping on order over $50",
        "billing",
    ),
    (
        "The {accessory} is missing from my package; only part of the order arrived.",
        "{accessory} missing from package",
        "delivery",
    ),
    (
        "I need an invoice with my company's VAT number for my records.",
        "invoice with VAT number requested",
        "billing",
    ),
    (
        "My account got locked after I tried to reset my password.",
        "account locked after password reset",
        "account",
    ),
    (
        "The colour of the {apparel} looks nothing like the photos on your site.",
        "{apparel} colour differs from photos",
        "return",
    ),
    (
        "Your website keeps declining my card {card} at checkout.",
        "card declined at checkout",
        "account",
    ),
    (
        "My {gadget} overheats after ten minutes of use. Is that covered by the warranty?",
        "warranty claim: {gadget} overheats",
        "damage",
    ),
    (
        "The gift card I received doesn't work, it says the code is invalid.",
        "gift card code rejected",
        "billing",
    ),
    (
        "I ordered two of the {accessory} but only one was in the box.",
        "received 1 of 2 {accessory}",
        "delivery",
    ),
    (
        "I'd like to return the {apparel}, it's really uncomfortable.",
        "return {apparel}: uncomfortable",
        "return",
    ),
    (
        "My package has been stuck in customs for over a week.",
        "package stuck in customs",
        "delivery",
    ),
    (
        "Is it possible to add another item to my existing order before it ships?",
        "add item to existing order",
        "order",
    ),
    (
        "My refund was ${amount} less than what I paid.",
        "partial refund, ${amount} short",
        "billing",
    ),
    ("The {gadget} came without the power adapter.", "{gadget} missing power adapter", "damage"),
    (
        "I received someone else's order instead of mine - it has a different name on the packing slip.",
        "received another customer's order",
        "delivery",
    ),
    (
        "Please remove my saved card {card} from my account.",
        "remove saved card from account",
        "account",
    ),
    (
        "Can the {product} be delivered by {weekday}? It's a birthday gift.",
        "rush delivery needed by {weekday}",
        "delivery",
    ),
    (
        "The print on my {apparel} started peeling after one wash.",
        "{apparel} print peeling after one wash",
        "damage",
    ),
    (
        "The tracking link in your shipping email just shows an error page.",
        "tracking link broken",
        "delivery",
    ),
    (
        "I was charged in EUR instead of USD and my bank added a fee.",
        "charged in wrong currency",
        "billing",
    ),
    (
        "Please unsubscribe me from marketing emails and delete my data.",
        "unsubscribe and data deletion request",
        "account",
    ),
    (
        "My order was cancelled without any explanation.",
        "order cancelled without explanation",
        "order",
    ),
    (
        "The {product} is shown as backordered. How long will it take?",
        "backordered {product}, asking for ETA",
        "order",
    ),
    (
        "The {gadget} I got looks used - there are scratches all over it.",
        "received used-looking {gadget}",
        "damage",
    ),
)
GREETINGS = (
    "Hi,",
    "Hello,",
    "Hello NVIDIA Gear Store team,",
    "To whom it may concern,",
    "Hey there,",
    "Dear support,",
    "",
)
INTROS = ("My name is {name}.", "This is {name} writing.", "I'm {name}, a long-time customer.", "")
ORDER_MENTIONS = (
    "My order number is {order_id}.",
    "(Order {order_id})",
    "This is about order {order_id}.",
    "Order #: {order_id}",
)
PHONE_MENTIONS = (
    "You can reach me at {phone}.",
    "Call me on {phone} if needed.",
    "My phone number is {phone}.",
    "Phone: {phone}",
)
EMAIL_MENTIONS = (
    "Please reply to {email}.",
    "My email is {email}.",
    "Email me at {email} with an update.",
)
CLOSINGS = ("Thanks,", "Best regards,", "Cheers,", "Thank you,", "Regards,", "Kind regards,")
SUBJECTS = (
    "Problem with my order",
    "Help please",
    "Order issue",
    "Refund question",
    "Urgent!",
    "Question",
)

# --- 4. summarization --------------------------------------------------------------------------

SUMMARY_SYSTEMS = (
    "Summarise this support ticket in 2-3 sentences for the next agent. Include the customer, the order, what has been done and what is still open.",
    "You write handover notes for NVIDIA Gear Store support agents. Summarise the ticket below in two or three sentences: problem, actions taken, next step.",
    "Summarize the following customer-support ticket for the agent picking it up next. 2-3 sentences, plain text, no bullet points.",
)
SUMMARY_USER = ("{ticket}", "Ticket:\n\n{ticket}", "Please summarise:\n\n{ticket}")
CHANNELS = ("email", "phone", "web form")
# (layout, channel or None for a random one). Slots: tid subject name first email phone customer_id
# order_id opened channel greeting body detail closing agent note_day note update t0..t3.
TICKET_LAYOUTS = (
    (
        "Ticket #{tid} - {subject}\nCustomer: {name} <{email}> | {phone}\nCustomer ID: {customer_id}\n"
        "Order: {order_id}\nOpened: {opened} via {channel}\n\nCustomer wrote:\n{body}\n\n{detail}\n\n"
        "Agent notes ({agent}, {note_day}):\n{note}\n\nUpdate:\n{update}",
        None,
    ),
    (
        "From: {name} <{email}>\nSent: {opened}\nSubject: RE: [{tid}] {subject}\n\n{greeting}\n\n{body} "
        "My order is {order_id}.\n\n{detail}\n\n{closing}\n{name}\n{phone}\n\n-----\n"
        "Internal note by {agent} ({customer_id}): {note}\nLatest: {update}",
        "email",
    ),
    (
        "[{t0}] {first}: {body}\n[{t1}] {agent} (agent): Thanks {first}, let me check order {order_id}.\n"
        "[{t2}] {first}: {detail}\n[{t3}] {agent} (agent): {note}\n--\nStatus: open. {update}\n"
        "Customer: {name}, {email}, {customer_id}",
        "chat",
    ),
)
EXTRA_DETAIL = (
    "I have been a customer for years and this has never happened before.",
    "I already tried contacting you through the chat but got disconnected.",
    "This was supposed to be a gift so the timing really matters.",
    "I'd appreciate a quick answer.",
    "Please don't make me wait another week.",
    "My shipping address is {address} in case you need it.",
    "I paid with my card {card}.",
)
# Issue kind -> (agent note, what the summary says was done). Slots: amount rma.
ACTIONS = {
    "delivery": (
        (
            "Checked with the carrier: the parcel is delayed at the regional hub. Opened a trace.",
            "opened a carrier trace because the parcel is held at the regional hub",
        ),
        (
            "Offered a replacement with free express shipping; customer accepted.",
            "arranged a free express replacement",
        ),
        (
            "Filed a missing-package claim with the carrier.",
            "filed a missing-package claim with the carrier",
        ),
        (
            "Escalated to the warehouse team to check for a mis-pick.",
            "escalated to the warehouse to check for a mis-pick",
        ),
    ),
    "damage": (
        (
            "Asked the customer for photos of the damage; none received yet.",
            "asked for photos, which have not arrived yet",
        ),
        (
            "Confirmed the warranty covers the fault and created return authorisation {rma}.",
            "created return authorisation {rma} under warranty",
        ),
        (
            "Offered a replacement with free express shipping; customer accepted.",
            "arranged a free express replacement",
        ),
    ),
    "billing": (
        (
            "Refunded the duplicate charge of ${amount} to the original card.",
            "refunded ${amount} to the original card",
        ),
        ("Applied a 15% goodwill credit to the account.", "applied a 15% goodwill credit"),
        (
            "Escalated to the payments team to check the charge.",
            "escalated the charge to the payments team",
        ),
    ),
    "return": (
        (
            "Verified the order in the system and emailed a prepaid return label.",
            "sent a prepaid return label",
        ),
        (
            "Approved the exchange and reserved the new size.",
            "approved the exchange and reserved the new size",
        ),
        (
            "Confirmed the return arrived and released the refund of ${amount}.",
            "confirmed the return and released the ${amount} refund",
        ),
    ),
    "account": (
        (
            "Unlocked the account and sent a new password reset link.",
            "unlocked the account and sent a reset link",
        ),
        (
            "Could not reproduce the checkout error; suggested trying another browser.",
            "could not reproduce the error and suggested another browser",
        ),
        ("Forwarded the request to the privacy team.", "forwarded the request to the privacy team"),
    ),
    "order": (
        (
            "Updated the shipping address before the order left the warehouse.",
            "updated the address before dispatch",
        ),
        (
            "Cancelled the order and issued a full refund of ${amount}.",
            "cancelled the order and refunded ${amount}",
        ),
        (
            "Asked the warehouse whether the order can still be changed.",
            "asked the warehouse whether the order can change",
        ),
    ),
}
# (customer follow-up, next step)
FOLLOWUPS = (
    (
        "Customer replied that they still need the item before {weekday}.",
        "Make sure it arrives before {weekday}.",
    ),
    ("Customer says the return label will not print.", "Resend the label as a PDF."),
    (
        "Customer is unhappy with the wait and asks for a manager.",
        "Escalate to a supervisor if there is no update within 24 hours.",
    ),
    (
        "No reply from the customer in 48 hours.",
        "Close the ticket if the customer does not reply within 3 days.",
    ),
    ("Customer sent the photos this morning.", "Review the photos and approve the replacement."),
    ("Customer asks to be called back instead of emailed.", "Call the customer back at {phone}."),
    ("Customer confirmed the new address is correct.", "Check that the shipment goes out today."),
    (
        "Customer asks whether the refund will include shipping.",
        "Confirm whether shipping is refunded.",
    ),
)
SUMMARIES = (
    "{name} ({customer_id}) reports {issue} on order {order_id}. {agent} {action}. Next step: {next}",
    "Customer {name} contacted us via {channel} about {issue} (order {order_id}). So far {agent} {action}. {next}",
    "{name} says: {issue}, order {order_id}. {agent} {action}; open item: {next_lower}",
)

# --- 5. faq --------------------------------------------------------------------------------

POLICY = (
    "- Standard shipping (US): 3-5 business days, free on orders over $50, otherwise $7.95.\n"
    "- Express shipping: 1-2 business days for $14.99; orders placed before 1 pm PT ship the same day.\n"
    "- International shipping to 35 countries: 7-14 business days; duties are paid by the recipient.\n"
    "- Returns: within 30 days of delivery, unused and with tags; free return label for US orders.\n"
    "- Refunds go to the original payment method 5-7 business days after we receive the return.\n"
    "- Warranty: developer kits and graphics cards 1-year limited warranty; apparel 90 days against defects.\n"
    "- Payment: Visa, Mastercard, American Express, Discover, PayPal, Apple Pay, Google Pay and gift cards.\n"
    "- Orders can be cancelled within 1 hour of purchase.\n"
    "- Price adjustment: if an item's price drops within 14 days of purchase we refund the difference.\n"
    "- Clearance items are final sale. PO boxes are delivered by USPS only.\n"
    "- Support hours: Monday-Friday, 8 am-6 pm PT."
)
FAQ_SYSTEMS = (
    "You are the NVIDIA Gear Store FAQ assistant. Answer questions about store policies using only the policies below. Be friendly and concise.\n\nPolicies:\n"
    + POLICY,
    "Answer the shopper's question about NVIDIA Gear Store policies in two or three sentences. If the policies below do not cover it, say so and point to support.\n\n"
    + POLICY,
    "You answer frequently asked questions for the NVIDIA Gear Store.\n### Store policies\n"
    + POLICY
    + "\n### Style\nPlain prose, no lists, no markdown.",
)
# topic -> (questions, answers)
FAQ = {
    "shipping_time": (
        (
            "How long does shipping take?",
            "When will my order arrive if I order today?",
            "what's the delivery time for standard shipping",
            "How fast do you ship to {city}?",
        ),
        (
            "Standard shipping within the US takes 3-5 business days. If you need it sooner, express shipping delivers in 1-2 business days for $14.99, and orders placed before 1 pm PT ship the same day.",
            "Most US orders arrive within 3-5 business days with standard shipping. Express gets it to you in 1-2 business days.",
        ),
    ),
    "shipping_cost": (
        (
            "Is shipping free?",
            "How much is shipping?",
            "Do I get free shipping on a $40 order?",
            "What does express shipping cost?",
        ),
        (
            "Standard shipping is free on orders over $50; below that it's a flat $7.95. Express shipping costs $14.99.",
            "Orders over $50 ship free with standard shipping. Smaller orders pay $7.95, and express is $14.99 regardless of the order size.",
        ),
    ),
    "international": (
        (
            "Do you ship internationally?",
            "Can I order from Germany?",
            "Do you ship to the UK and who pays customs?",
            "Do you deliver outside the US?",
        ),
        (
            "Yes - we ship to 35 countries. International delivery takes 7-14 business days, and any import duties or taxes are paid by the recipient.",
            "We do ship internationally to 35 countries, usually within 7-14 business days. Please note that customs duties are collected from the recipient on delivery.",
        ),
    ),
    "returns_window": (
        (
            "What is your return policy?",
            "How many days do I have to return something?",
            "Can I return a hoodie I've worn once?",
            "Is the return shipping free?",
        ),
        (
            "You can return items within 30 days of delivery as long as they're unused and still have their tags. US orders get a free return label.",
            "Our return window is 30 days from delivery. Items need to be unused with tags attached, and we provide a free prepaid label for US returns.",
        ),
    ),
    "refund_timing": (
        (
            "How long do refunds take?",
            "When will I get my money back after returning?",
            "Do refunds go back to my credit card?",
        ),
        (
            "Once we receive your return, the refund goes back to your original payment method within 5-7 business days.",
            "Refunds are issued to the original payment method 5-7 business days after the return reaches our warehouse.",
        ),
    ),
    "warranty": (
        (
            "What warranty do the Jetson kits have?",
            "Is there a warranty on the RTX 4090?",
            "Are clothes covered by a warranty?",
            "how long is the warranty",
        ),
        (
            "Developer kits and graphics cards come with a 1-year limited warranty. Apparel is covered for 90 days against manufacturing defects.",
            "Hardware such as Jetson kits and GeForce cards has a 1-year limited warranty, while apparel is guaranteed against defects for 90 days.",
        ),
    ),
    "payment": (
        (
            "What payment methods do you accept?",
            "Can I pay with PayPal?",
            "Do you take Apple Pay?",
            "Can I pay with American Express?",
        ),
        (
            "We accept Visa, Mastercard, American Express, Discover, PayPal, Apple Pay, Google Pay and NVIDIA Gear Store gift cards.",
            "You can pay by credit card (Visa, Mastercard, Amex, Discover), PayPal, Apple Pay, Google Pay or with a gift card.",
        ),
    ),
    "cancel": (
        (
            "Can I cancel my order?",
            "I just ordered by mistake, can I cancel?",
            "How long do I have to cancel an order?",
        ),
        (
            "Orders can be cancelled within 1 hour of purchase. After that it's already being prepared, but you can return it within 30 days of delivery.",
            "You have one hour after placing an order to cancel it. Once that window has passed, the easiest option is to return it after delivery.",
        ),
    ),
    "price_adjust": (
        (
            "The price dropped right after I bought it. Can I get the difference?",
            "Do you do price adjustments?",
            "Do you price match?",
        ),
        (
            "Yes - if an item's price drops within 14 days of your purchase, we'll refund the difference. Just contact support with your order number.",
            "We offer price adjustments for 14 days after purchase: if the price goes down, we refund the difference to your original payment method.",
        ),
    ),
    "final_sale": (
        ("Can I return clearance items?", "Are sale items returnable?"),
        (
            "Clearance items are final sale and can't be returned. Regular sale items follow the normal 30-day return policy.",
            "Items marked clearance are final sale. Anything else, including discounted items, can be returned within 30 days.",
        ),
    ),
    "po_box": (
        ("Do you ship to PO boxes?", "Can I use a PO box as my shipping address?"),
        (
            "Yes, but PO box deliveries are handled by USPS only, so express shipping isn't available for them.",
            "We can deliver to PO boxes through USPS. Other carriers can't deliver there, so choose standard shipping.",
        ),
    ),
    "hours": (
        (
            "What are your customer service hours?",
            "When can I call support?",
            "Is support open on weekends?",
        ),
        (
            "Our support team is available Monday to Friday, 8 am to 6 pm Pacific Time.",
            "You can reach customer support Monday through Friday between 8 am and 6 pm PT; we're closed on weekends.",
        ),
    ),
}
FAQ_OPENERS = ("", "", "", "Great question! ", "Happy to help. ", "Thanks for asking. ")
FAQ_PII = (
    "Hi, I'm {name} ({email}). ",
    "This is {first}, customer {customer_id}. ",
    "Hello - {name} here. ",
)

# --- gateway and model details -------------------------------------------------------------

# order status -> (youngest, oldest order age in days, how common)
ORDER_AGE = {
    "processing": (0.0, 1.5, 18),
    "shipped": (2.0, 4.0, 30),
    "out_for_delivery": (3.0, 5.0, 10),
    "delivered": (6.0, 25.0, 27),
    "delayed": (6.0, 12.0, 8),
    "cancelled": (0.5, 20.0, 7),
}
# (first digits, length, brand) of the card numbers customers paste
CARD_PREFIXES = (
    ("4", 16, "Visa"),
    ("51", 16, "Mastercard"),
    ("55", 16, "Mastercard"),
    ("37", 15, "American Express"),
    ("6011", 16, "Discover"),
)
CLAUDE_PRE = (
    "Let me look that up for you.",
    "I'll check that order now.",
    "One moment while I check.",
)
LITELLM_KEY = {
    "user_api_key_alias": "gear-store-prod",
    "user_api_key_team_alias": "customer-service",
}
RATE_LIMIT = (
    "litellm.RateLimitError: RateLimitError: OpenAIException - Rate limit reached for {model} "
    "in organization org-gearstore on tokens per min (TPM): Limit 800000, Used 799412."
)
RATE_LIMIT_INFO = {"error_code": "429", "error_class": "RateLimitError", "llm_provider": "openai"}
