"""What each model family's chat template needs, as data: one ``TemplateProfile`` per family.

Real templates differ in how they take tools and tool calls, and several raise on input that
canonical records hold (facts from the models' cards and templates, summarised in
``docs/templates.md``):

- Qwen3 renders ``message.content`` of tool-call turns and thinks unless
  ``enable_thinking=False``; Hermes ``<tool_call>`` JSON;
- Llama 3.x allows one tool call per assistant turn (it raises otherwise); the call is a bare
  ``{"name": ..., "parameters": ...}`` object;
- Mistral v0.3 raises unless every tool-call id is 9 characters and user/assistant turns
  alternate;
- Phi-4-mini reads tools from a JSON string in a ``tools`` field of the system message and
  never renders ``tool_calls``; calls are ``<|tool_call|>[...]<|/tool_call|>``;
- SmolLM3 takes tools only through the ``xml_tools`` kwarg, never renders ``tool_calls``, and
  thinks unless ``enable_thinking=False``;
- Gemma 3/3n has no tool support and raises unless user/model turns alternate;
- Nemotron-Nano-9B-v2 renders ``<TOOLCALL>[...]</TOOLCALL>`` and is switched out of reasoning
  by ``/no_think`` in the system message.

``profile_for(tokenizer)`` finds a template's family by marker strings; a template that
matches none but renders tools is treated as Hermes, one that renders no tools gets the text
fallback of ``examples``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TemplateProfile:
    """How records are shaped for one family's chat template, and how its output is read.

    - ``tools``: ``argument`` (the ``tools=`` argument), ``system_field`` (a JSON string in
      the system message's ``tools`` field), ``xml_tools`` (that template kwarg) or ``text``
      (written into the system message by ``examples``);
    - ``calls``: ``native`` (``tool_calls`` on the message) or a parser name whose format the
      calls are written in, inside the assistant's content (for templates that never render
      ``tool_calls``);
    - ``max_calls``: tool calls one assistant turn may hold (None: any number);
    - ``call_id_length``: tool-call ids are rewritten to this many letters and digits;
    - ``alternate``: consecutive turns of one role are merged (templates that raise otherwise);
    - ``kwargs``: passed to the template (``enable_thinking=False``);
    - ``system_suffix``: appended to the system message (``/no_think``);
    - ``parser``: the eval parser (``evaluation.toolcalls``) for the model's output.
    """

    name: str
    markers: tuple[str, ...]
    parser: str
    tools: str = "argument"
    calls: str = "native"
    max_calls: int | None = None
    call_id_length: int | None = None
    alternate: bool = False
    kwargs: dict = field(default_factory=dict)
    system_suffix: str = ""


PROFILES: dict[str, TemplateProfile] = {
    p.name: p
    for p in (
        TemplateProfile(
            "nemotron", ("<TOOLCALL>", "<AVAILABLE_TOOLS>"), "nemotron", system_suffix="/no_think"
        ),
        TemplateProfile(
            "mistral",
            ("[AVAILABLE_TOOLS]", "[TOOL_CALLS]"),
            "mistral",
            call_id_length=9,
            alternate=True,
        ),  # fmt: skip
        TemplateProfile(
            "phi4-mini", ("<|tool|>", "<|/tool|>"), "phi4", tools="system_field", calls="phi4"
        ),
        TemplateProfile(
            "smollm3",
            ("xml_tools",),
            "hermes",
            tools="xml_tools",
            calls="hermes",
            kwargs={"enable_thinking": False},
        ),  # fmt: skip
        TemplateProfile("llama3", ("<|start_header_id|>", "ipython"), "llama3", max_calls=1),
        TemplateProfile(
            "gemma3", ("<start_of_turn>",), "hermes", tools="text", calls="hermes", alternate=True
        ),
        TemplateProfile(
            "qwen3",
            ("<tool_call>", "enable_thinking"),
            "hermes",
            kwargs={"enable_thinking": False},
        ),  # fmt: skip
        TemplateProfile("hermes", (), "hermes"),
        TemplateProfile("text", (), "hermes", tools="text", calls="hermes"),
    )
}
"""Families in detection order (the most specific markers first)."""


def template_text(tokenizer) -> str:
    """The tokenizer's chat template as one string ("" when it has none)."""
    template = getattr(tokenizer, "chat_template", None) or ""
    if isinstance(template, dict):
        template = " ".join(template.values())
    return template


def profile_for(tokenizer, name: str | None = None) -> TemplateProfile:
    """The profile named ``name``, else the one whose markers the template holds."""
    if name:
        return PROFILES[name]
    template = template_text(tokenizer)
    for profile in PROFILES.values():
        if profile.markers and all(m in template for m in profile.markers):
            return profile
    return PROFILES["hermes"] if "tools" in template else PROFILES["text"]


def profile_of(training: dict, tokenizer=None) -> TemplateProfile:
    """The profile a finetune entry (``finetune.json``, ``training.json``) was trained with;
    entries written before profiles existed say only ``native_tools``."""
    name = training.get("template")
    if name in PROFILES:
        return PROFILES[name]
    if training.get("native_tools") is False:
        return PROFILES["text"]
    return profile_for(tokenizer) if tokenizer is not None else PROFILES["hermes"]
