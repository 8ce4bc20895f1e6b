"""A tiny, locally built Llama-style chat model that loads exactly like a hub model.

No model hub is reachable where the tests and the demo run, so `build_tiny_model` makes one: a
byte-level BPE tokenizer trained on the text shipped beside this module (``corpus.txt``: prose,
``dialogues.txt``: JSON-lines chats with tools), a ChatML/Hermes chat template with tool calling
and ``{% generation %}`` markers, and a `LlamaForCausalLM` with seeded random weights, briefly
pre-trained on the same text so that fine-tuning starts from something better than noise. Both
are saved with ``save_pretrained`` and load with ``AutoTokenizer/AutoModelForCausalLM
.from_pretrained(path)``.

Chat format (what fine-tuning trains and evaluation parses)::

    <|begin_of_text|><|im_start|>system
    {system}

    # Tools
    ...
    <tools>
    {"name": "...", "description": "...", "parameters": {...}}      (one tool per line)
    </tools>
    ...<|im_end|>
    <|im_start|>user
    {content}<|im_end|>
    <|im_start|>assistant
    {content}<tool_call>
    {"name": "...", "arguments": {...}}
    </tool_call><|im_end|>
    <|im_start|>user
    <tool_response>
    {tool result}
    </tool_response><|im_end|>

Everything from the assistant's first character through its ``<|im_end|>`` is inside
``{% generation %}``; the newline after ``<|im_end|>`` is not.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent / "tiny_data"
SHIPPED_CORPUS = (HERE / "corpus.txt", HERE / "dialogues.txt")

BOS, EOT, PAD, IM_START, IM_END = (
    "<|begin_of_text|>",
    "<|end_of_text|>",
    "<|pad|>",
    "<|im_start|>",
    "<|im_end|>",
)
SPECIAL_TOKENS = (BOS, EOT, PAD, IM_START, IM_END)
# Atomic, but not "special": they survive ``decode(..., skip_special_tokens=True)``.
MARKUP_TOKENS = (
    "<tool_call>",
    "</tool_call>",
    "<tools>",
    "</tools>",
    "<tool_response>",
    "</tool_response>",
)
# Llama-3 pre-tokenisation: words, numbers in groups of at most 3 digits, punctuation runs.
SPLIT_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)

TOOLS_HEADER = (
    "# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
    "You are provided with function signatures within <tools></tools> XML tags:\n<tools>"
)
TOOLS_FOOTER = (
    "\n</tools>\n\nFor each function call, return a json object with function name and "
    "arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n"
    '{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call>'
)

CHAT_TEMPLATE = """{%- macro text(c) -%}
{%- if c is undefined or c is none -%}
{%- elif c is string -%}{{ c }}
{%- elif c is sequence and c | length > 0 and c[0] is mapping and c[0].text is defined -%}
{%- for p in c %}{{ p.text if p.text is defined else '' }}{% endfor -%}
{%- else -%}{{ c | tojson }}
{%- endif -%}
{%- endmacro -%}
{{- bos_token -}}
{%- set ns = namespace(system='') -%}
{%- if messages and messages[0].role == 'system' -%}
{%- set ns.system = text(messages[0].content) -%}
{%- set msgs = messages[1:] -%}
{%- else -%}
{%- set msgs = messages -%}
{%- endif -%}
{%- if tools -%}
{{- '<|im_start|>system\\n' -}}
{%- if ns.system %}{{ ns.system + '\\n\\n' }}{% endif -%}
{{- TOOLS_HEADER -}}
{%- for tool in tools %}{{ '\\n' }}{{ (tool.function if tool.function is defined else tool) | tojson }}{% endfor -%}
{{- TOOLS_FOOTER + '<|im_end|>\\n' -}}
{%- elif ns.system -%}
{{- '<|im_start|>system\\n' + ns.system + '<|im_end|>\\n' -}}
{%- endif -%}
{%- for m in msgs -%}
{%- if m.role == 'assistant' -%}
{{- '<|im_start|>assistant\\n' -}}
{%- generation -%}
{%- set body = text(m.content) -%}
{{- body -}}
{%- if m.tool_calls is defined and m.tool_calls -%}
{%- for tc in m.tool_calls -%}
{%- set f = tc.function if tc.function is defined else tc -%}
{%- if body or not loop.first %}{{ '\\n' }}{% endif -%}
{{- '<tool_call>\\n{"name": ' + (f.name | tojson) + ', "arguments": ' -}}
{%- if f.arguments is undefined or f.arguments is none %}{{ '{}' }}
{%- elif f.arguments is string %}{{ f.arguments }}
{%- else %}{{ f.arguments | tojson }}{% endif -%}
{{- '}\\n</tool_call>' -}}
{%- endfor -%}
{%- endif -%}
{{- '<|im_end|>' -}}
{%- endgeneration -%}
{{- '\\n' -}}
{%- elif m.role == 'tool' -%}
{%- if loop.first or loop.previtem.role != 'tool' %}{{ '<|im_start|>user\\n' }}{% else %}{{ '\\n' }}{% endif -%}
{{- '<tool_response>\\n' + text(m.content) + '\\n</tool_response>' -}}
{%- if loop.last or loop.nextitem.role != 'tool' %}{{ '<|im_end|>\\n' }}{% endif -%}
{%- else -%}
{{- '<|im_start|>' + m.role + '\\n' + text(m.content) + '<|im_end|>\\n' -}}
{%- endif -%}
{%- endfor -%}
{%- if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif -%}
""".replace("TOOLS_HEADER", json.dumps(TOOLS_HEADER)).replace(
    "TOOLS_FOOTER", json.dumps(TOOLS_FOOTER)
)


def _is_chat_lines(raw: str) -> bool:
    """True when the first line is a JSON object with ``messages`` or ``tool_definitions``."""
    try:
        first = json.loads(raw.lstrip().split("\n", 1)[0])
    except ValueError:
        return False
    return isinstance(first, dict) and ("messages" in first or "tool_definitions" in first)


def load_corpus(corpus: str | Path | Sequence[str | Path] | None = None) -> list[dict]:
    """Read training documents: ``{"text": str}`` for prose, ``{"messages", "tools"?}`` for chats.

    Plain-text files are split into documents at blank lines. A file whose first line is a JSON
    object with ``messages`` or ``tool_definitions`` is read as JSON lines: one
    ``{"messages": [...], "tools": [...]}`` chat per line, where ``tools`` may name entries of a
    ``{"tool_definitions": [...]}`` line. ``corpus`` is a file, a directory of ``*.txt`` files or
    a list of files; ``None`` reads the corpus shipped with this module.
    """
    if corpus is None:
        paths = list(SHIPPED_CORPUS)
    elif isinstance(corpus, str | Path):
        corpus = Path(corpus)
        paths = sorted(corpus.glob("*.txt")) if corpus.is_dir() else [corpus]
    else:
        paths = [Path(p) for p in corpus]
    docs: list[dict] = []
    for path in paths:
        raw = path.read_text(encoding="utf-8")
        if not _is_chat_lines(raw):
            docs += [{"text": d.strip()} for d in raw.split("\n\n") if d.strip()]
            continue
        defs: dict[str, dict] = {}
        for line in raw.splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            for t in row.get("tool_definitions", ()):
                defs[t.get("function", t)["name"]] = t
            if "messages" in row:
                tools = [defs[t] if isinstance(t, str) else t for t in row.get("tools") or ()]
                docs.append({"messages": row["messages"], "tools": tools or None})
    return docs


def corpus_texts(tokenizer, corpus=None, split: str = "train") -> list[str]:
    """Render the corpus for causal-LM training: chats through the chat template, prose as is.

    Every 20th document is held out: ``split="heldout"`` returns those, ``"train"`` the rest and
    ``"all"`` everything. Each text ends with ``<|end_of_text|>``.
    """
    out = []
    for i, doc in enumerate(load_corpus(corpus)):
        held = i % 20 == 0
        if split != "all" and held != (split == "heldout"):
            continue
        if "text" in doc:
            out.append(BOS + doc["text"] + EOT)
        else:
            chat = tokenizer.apply_chat_template(
                doc["messages"], tools=doc["tools"], tokenize=False
            )
            out.append(chat + EOT)
    return out


def build_tokenizer(corpus=None, vocab_size: int = 3072):
    """Train a byte-level BPE on the corpus and wrap it as a fast tokenizer with the chat template.

    The vocabulary holds at most ``vocab_size`` entries (fewer if the corpus runs out of merges):
    the special tokens (``<|begin_of_text|>`` bos, ``<|im_end|>`` eos, ``<|pad|>`` pad,
    ``<|end_of_text|>``, ``<|im_start|>``), the tool markup tokens (``<tool_call>`` ...
    ``</tool_response>``, atomic but not special, so they survive ``skip_special_tokens``) and
    the BPE merges. Pre-tokenisation is Llama-3 style (digits in groups of up to three).
    """
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    def wrap(tok):
        return PreTrainedTokenizerFast(
            tokenizer_object=tok,
            bos_token=BOS,
            eos_token=IM_END,
            pad_token=PAD,
            additional_special_tokens=[EOT, IM_START],
            chat_template=CHAT_TEMPLATE,
            model_max_length=2048,
        )

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(SPLIT_PATTERN), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    # Render chats with a throwaway wrapper, then drop the control strings: they never get merged.
    renderer = wrap(Tokenizer(models.BPE()))
    texts = corpus_texts(renderer, corpus, split="all")
    for marker in SPECIAL_TOKENS + MARKUP_TOKENS:
        texts = [t.replace(marker, "\n") for t in texts]
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size - len(MARKUP_TOKENS),
        min_frequency=2,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer)
    tok.add_tokens([AddedToken(t, special=False, normalized=False) for t in MARKUP_TOKENS])
    return wrap(tok)


def _token_blocks(tokenizer, texts: list[str], seq_len: int):
    """Concatenate the tokenised texts and cut them into ``[n, seq_len]`` blocks."""
    import torch

    ids = [i for row in tokenizer(texts, add_special_tokens=False)["input_ids"] for i in row]
    n = max(1, len(ids) // seq_len)
    ids = (ids + [tokenizer.pad_token_id] * seq_len)[: n * seq_len]
    return torch.tensor(ids).view(n, seq_len)


def lm_loss(model, tokenizer, texts: list[str], seq_len: int = 256, batch_size: int = 8) -> float:
    """Mean next-token loss of ``model`` over ``texts`` (packed into blocks, no gradients)."""
    import torch

    blocks = _token_blocks(tokenizer, texts, seq_len)
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for b in blocks.split(batch_size):
            total += model(input_ids=b, labels=b).loss.item() * len(b)
            count += len(b)
    return total / count


def pretrain(
    model,
    tokenizer,
    texts: list[str],
    *,
    steps: int,
    seq_len: int = 256,
    batch_size: int = 8,
    lr: float = 3e-3,
    seed: int = 0,
    log=None,
) -> list[float]:
    """Plain causal-LM training on packed ``texts`` with AdamW and a warmup+cosine schedule.

    Returns the training loss of every step; ``log(step, loss)`` is called every 25 steps.
    """
    import torch

    blocks = _token_blocks(tokenizer, texts, seq_len)
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01, betas=(0.9, 0.95))
    warmup = max(1, steps // 10)

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return 0.1 + 0.45 * (1 + math.cos(math.pi * (step - warmup) / max(1, steps - warmup)))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
    model.train()
    order = torch.randperm(len(blocks), generator=gen)
    losses, pos = [], 0
    for step in range(steps):
        if pos + batch_size > len(order):
            order, pos = torch.randperm(len(blocks), generator=gen), 0
        batch = blocks[order[pos : pos + batch_size]]
        pos += batch_size
        loss = model(input_ids=batch, labels=batch).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        losses.append(loss.item())
        if log and (step % 25 == 0 or step == steps - 1):
            log(step, losses[-1])
    model.eval()
    return losses


MODEL_CARD = """# slmconvert tiny test model

A **toy** Llama-style causal LM built locally by `slmconvert.training.tiny.build_tiny_model`
so that tests and the demo can exercise the fine-tuning pipeline without a model hub. Load it
like any hub model: `AutoTokenizer.from_pretrained(path)`, `AutoModelForCausalLM.from_pretrained(path)`.

- Architecture: `LlamaForCausalLM`, {params:,} parameters (hidden {hidden}, {layers} layers,
  {heads} heads, context {context}, tied embeddings), float32, seed {seed}.
- Tokenizer: byte-level BPE, {vocab} tokens, trained on slmconvert's shipped customer-service
  text; ChatML/Hermes chat template with `tools`, `<tool_call>` JSON tool calls,
  `<tool_response>` results and `{{% generation %}}` markers (assistant-only loss).
- Pre-training: {steps} steps of causal LM on the shipped text;
  held-out loss {loss0:.2f} at random init -> {loss1:.2f}.

What it is not: a useful language model. It knows nothing beyond a few hundred KB of synthetic
store-support text, it will not follow instructions it has not been fine-tuned on, and its
scores say nothing about what a real base model would reach. Use it for tests and demos only.
"""


def _initial_model(tokenizer, hidden_size: int, layers: int, heads: int, context: int, seed: int):
    """A randomly initialised Llama of the given shape, its special tokens from ``tokenizer``."""
    import torch
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in SPECIAL_TOKENS}
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=4 * hidden_size,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=heads,
        max_position_embeddings=context,
        tie_word_embeddings=True,
        bos_token_id=ids[BOS],
        eos_token_id=[ids[IM_END], ids[EOT]],
        pad_token_id=ids[PAD],
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    model.generation_config = GenerationConfig(
        bos_token_id=ids[BOS], eos_token_id=[ids[IM_END], ids[EOT]], pad_token_id=ids[PAD]
    )
    return model


def build_tiny_model(
    out_dir: str | Path,
    *,
    seed: int = 0,
    vocab_size: int = 3072,
    hidden_size: int = 128,
    layers: int = 2,
    heads: int = 4,
    context: int = 2048,
    pretrain_steps: int = 500,
    seq_len: int = 512,
    batch_size: int = 8,
    lr: float = 3e-3,
    corpus: str | Path | Sequence[str | Path] | None = None,
    log=None,
) -> Path:
    """Build and ``save_pretrained`` the tiny chat model and its tokenizer into ``out_dir``.

    Trains the tokenizer (`build_tokenizer`), initialises `LlamaForCausalLM` from ``seed``,
    pre-trains it for ``pretrain_steps`` steps of ``batch_size x seq_len`` tokens on the corpus
    rendered by `corpus_texts` (0 keeps the random weights), and writes safetensors weights,
    tokenizer files, a generation config that stops at ``<|im_end|>`` and a README.md model card.
    The same arguments give the same weights and tokenizer (on the same torch build and thread
    count). ``log`` receives progress lines. Returns ``out_dir``.

    The defaults (918k parameters) are what the demo needs: pre-training teaches the format and
    to pick a tool from the customer's message, so a short full fine-tune learns a new tool set.
    Two layers learn that as fast per step as four and cost ~40% less per token.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    tokenizer = build_tokenizer(corpus, vocab_size)
    model = _initial_model(tokenizer, hidden_size, layers, heads, context, seed)
    heldout = corpus_texts(tokenizer, corpus, split="heldout")
    loss0 = loss1 = lm_loss(model, tokenizer, heldout, seq_len)
    if pretrain_steps > 0:
        train = corpus_texts(tokenizer, corpus, split="train")
        logger = (
            (lambda s, v: log(f"pretrain step {s}/{pretrain_steps} loss {v:.3f}")) if log else None
        )
        pretrain(model, tokenizer, train, steps=pretrain_steps, seq_len=seq_len,
                 batch_size=batch_size, lr=lr, seed=seed, log=logger)  # fmt: skip
        loss1 = lm_loss(model, tokenizer, heldout, seq_len)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    params = sum(p.numel() for p in model.parameters())
    card = MODEL_CARD.format(
        params=params, hidden=hidden_size, layers=layers, heads=heads, context=context,
        seed=seed, vocab=len(tokenizer), steps=pretrain_steps,
        loss0=loss0, loss1=loss1,
    )  # fmt: skip
    (out / "README.md").write_text(card, encoding="utf-8")
    if log:
        log(f"tiny model: {params:,} params, held-out loss {loss0:.2f} -> {loss1:.2f}, "
            f"{time.perf_counter() - t0:.0f} s -> {out}")  # fmt: skip
    return out
