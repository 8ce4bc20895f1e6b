"""Task 4, summarisation: support tickets and their summaries."""

from __future__ import annotations

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
