"""The tiny local model: builds, loads like a hub model, renders tools/tool calls, learns."""

from __future__ import annotations

import json

import pytest
import torch
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

from slmconvert.training.tiny import build_tiny_model, corpus_texts, lm_loss

SMALL = dict(vocab_size=1024, hidden_size=32, layers=2, heads=4, seq_len=128, batch_size=4, lr=1e-2)
STEPS = 40

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "ToOrderStatusAssistant",
            "description": "Delegates queries about orders.",
            "parameters": {
                "type": "object",
                "properties": {"query": {"type": "string"}, "user_id": {"type": "string"}},
                "required": ["query", "user_id"],
            },
        },
    },
    {  # bare schema, no OpenAI wrapper
        "name": "HandleOtherTalk",
        "description": "Handles greetings.",
        "parameters": {"type": "object", "properties": {"message": {"type": "string"}}},
    },
]
ARGS = {"query": "Status of order ORD-2025-004812", "user_id": "42"}
CALL = (
    '<tool_call>\n{"name": "ToOrderStatusAssistant", "arguments": '
    + json.dumps(ARGS)
    + "}\n</tool_call>"
)
ANSWER = "Your order ORD-2025-004812 has shipped with UPS."
CHAT = [
    {"role": "system", "content": "You are the NVIDIA Gear Store router."},
    {"role": "user", "content": "Where is my order ORD-2025-004812?"},
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "ToOrderStatusAssistant", "arguments": json.dumps(ARGS)},
            }
        ],
    },
    {"role": "tool", "tool_call_id": "call_1", "content": '{"status": "shipped"}'},
    {"role": "assistant", "content": ANSWER},
]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny")
    a = build_tiny_model(root / "a", seed=0, pretrain_steps=STEPS, **SMALL)
    b = build_tiny_model(root / "b", seed=0, pretrain_steps=STEPS, **SMALL)
    return a, b


def test_loads_like_a_hub_model(built):
    path = built[0]
    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path)
    assert model.config.model_type == "llama"
    assert (path / "model.safetensors").exists() and (path / "README.md").exists()
    assert tok.eos_token == "<|im_end|>" and tok.pad_token == "<|pad|>"
    assert model.config.vocab_size == len(tok) <= SMALL["vocab_size"]
    for t in ("<tool_call>", "</tool_call>", "<tools>", "<tool_response>", "<|im_start|>"):
        assert tok.tokenize(f"a {t} b").count(t) == 1  # atomic token
    # markup survives skip_special_tokens, control tokens do not
    ids = tok(CALL + "<|im_end|>", add_special_tokens=False)["input_ids"]
    assert tok.decode(ids, skip_special_tokens=True) == CALL


def test_template_renders_tools_calls_and_results(built):
    tok = AutoTokenizer.from_pretrained(built[0])
    text = tok.apply_chat_template(CHAT, tools=TOOLS, tokenize=False)
    assert text.startswith(
        "<|begin_of_text|><|im_start|>system\nYou are the NVIDIA Gear Store router.\n\n"
    )
    block = text.split("<tools>\n", 1)[1].split("\n</tools>", 1)[0].split("\n")
    assert [json.loads(line)["name"] for line in block] == [
        "ToOrderStatusAssistant",
        "HandleOtherTalk",
    ]
    assert "<|im_start|>assistant\n" + CALL + "<|im_end|>\n" in text
    assert (
        '<|im_start|>user\n<tool_response>\n{"status": "shipped"}\n</tool_response><|im_end|>\n'
        in text
    )
    assert text.endswith("<|im_start|>assistant\n" + ANSWER + "<|im_end|>\n")
    # arguments given as a dict render exactly like the JSON string
    as_dict = json.loads(json.dumps(CHAT))
    as_dict[2]["tool_calls"][0]["function"]["arguments"] = ARGS
    assert tok.apply_chat_template(as_dict, tools=TOOLS, tokenize=False) == text
    # content and two calls: content first, one call per block
    both = [
        CHAT[1],
        {
            "role": "assistant",
            "content": "Checking.",
            "tool_calls": [as_dict[2]["tool_calls"][0]] * 2,
        },
    ]
    assert (
        "<|im_start|>assistant\nChecking.\n" + CALL + "\n" + CALL + "<|im_end|>"
    ) in tok.apply_chat_template(both, tokenize=False)
    prompt = tok.apply_chat_template(
        CHAT[:2], tools=TOOLS, tokenize=False, add_generation_prompt=True
    )
    assert prompt.endswith(
        "<|im_start|>user\nWhere is my order ORD-2025-004812?<|im_end|>\n<|im_start|>assistant\n"
    )
    plain = tok.apply_chat_template([CHAT[1]], tokenize=False)
    assert (
        plain == "<|begin_of_text|><|im_start|>user\nWhere is my order ORD-2025-004812?<|im_end|>\n"
    )


def test_assistant_mask_covers_exactly_the_answers(built):
    tok = AutoTokenizer.from_pretrained(built[0])
    out = tok.apply_chat_template(
        CHAT, tools=TOOLS, tokenize=True, return_dict=True, return_assistant_tokens_mask=True
    )
    ids, mask = out["input_ids"], out["assistant_masks"]
    assert len(ids) == len(mask)
    spans, cur = [], []
    for i, m in zip(ids, mask, strict=True):
        if m:
            cur.append(i)
        elif cur:
            spans.append(cur)
            cur = []
    assert cur == []  # the final "\n" after <|im_end|> is not trained
    assert [tok.decode(s) for s in spans] == [CALL + "<|im_end|>", ANSWER + "<|im_end|>"]
    from trl.chat_template_utils import is_chat_template_stop_token_trained

    assert is_chat_template_stop_token_trained(tok)


def test_generate_runs(built):
    tok = AutoTokenizer.from_pretrained(built[0])
    model = AutoModelForCausalLM.from_pretrained(built[0])
    enc = tok.apply_chat_template(
        CHAT[:2], tools=TOOLS, add_generation_prompt=True, return_dict=True, return_tensors="pt"
    )
    gen = model.generate(**enc, max_new_tokens=12, do_sample=False)
    assert gen.shape[0] == 1 and gen.shape[1] > enc["input_ids"].shape[1]
    assert isinstance(tok.decode(gen[0, enc["input_ids"].shape[1] :]), str)


def test_same_seed_same_weights(built):
    a = AutoModelForCausalLM.from_pretrained(built[0]).state_dict()
    b = AutoModelForCausalLM.from_pretrained(built[1]).state_dict()
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert (built[0] / "tokenizer.json").read_bytes() == (built[1] / "tokenizer.json").read_bytes()


def test_pretraining_lowers_heldout_loss(built):
    tok = AutoTokenizer.from_pretrained(built[0])
    heldout = corpus_texts(tok, split="heldout")
    trained = lm_loss(AutoModelForCausalLM.from_pretrained(built[0]), tok, heldout, seq_len=128)
    torch.manual_seed(0)  # the random init the build started from
    init = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(built[0]))
    raw = lm_loss(init, tok, heldout, seq_len=128)
    assert raw > 6.0  # about ln(vocab) at random init
    assert trained < raw - 1.0
