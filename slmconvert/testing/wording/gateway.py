"""Gateway and model details the log writers add: order ages, card prefixes, provider quirks."""

from __future__ import annotations

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
