"""Task 3, extraction: customer e-mails to pull structured fields from."""

from __future__ import annotations

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
