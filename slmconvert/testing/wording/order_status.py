"""Task 2, order status: the order agent's prompts, tools, questions and answers."""

from __future__ import annotations

from slmconvert.testing.wording.catalogue import CARRIERS

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
