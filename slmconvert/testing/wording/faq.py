"""Task 5, FAQ: store policies and the answers built from them."""

from __future__ import annotations

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
