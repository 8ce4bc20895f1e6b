"""Task 1, routing: the NVIDIA Data Flywheel sample router's prompt and tools, customer texts."""

from __future__ import annotations

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
