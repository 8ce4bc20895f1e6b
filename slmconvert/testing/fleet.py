"""Seeded generator of an agent *fleet*'s LLM traffic: many nodes, each with its own tools.

Real logs come from dozens of agent nodes, not one: each node has a tool set, a system prompt
(reworded across versions), a workload id that may be shared by a whole app, and a long tail of
sizes. `generate_fleet` writes such traffic as NVIDIA Data Flywheel lines (the `openai` format:
``request``, ``response``, ``workload_id``, ``timestamp``) plus a truth file at two levels, one
line per log line: ``{"file", "line", "node", "subtask"}``.

What the fleet holds, by construction (`Fleet.nodes` says which node is which):
- node sizes from a long-tailed law between ``min_calls`` and ``max_calls``, plus a few one-off
  nodes of 1-5 calls (these belong on the LLM);
- a tool-RAG node that offers each call a different subset of its 30 tools;
- two nodes sharing one tool set with clearly different roles;
- every node's system prompt in 2-4 paraphrases; one workload id spanning several nodes;
- answers as tool calls, text and JSON; big nodes with 2-3 distinct sub-tasks;
- a unique user turn in every call (names, emails, numbers, dates, references).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import orjson

from slmconvert.testing import fleet_words as W

SHARED_WORKLOAD = "support-app"
START = 1761955200  # 2025-11-01T00:00:00Z


@dataclass(frozen=True)
class Node:
    """One agent node of the fleet and its ground truth."""

    name: str
    domain: str
    org: str
    objects: tuple[str, ...]
    people: str
    role: str
    tools: tuple[dict, ...]
    prompts: tuple[str, ...]
    workload: str | None
    subtasks: tuple[str, ...]
    answer: str  # tool | text | json
    calls: int
    rag: int = 0  # tools offered per call when the node retrieves a subset (tool RAG)


def _tools(domain: str, objects: tuple[str, ...], count: int, rng: random.Random) -> tuple:
    names = [(v, o) for o in objects for v in W.VERBS]
    rng.shuffle(names)
    tools = []
    for verb, obj in sorted(names[:count]):
        name = f"{verb}_{obj.replace(' ', '_').replace('-', '_')}"
        tools.append(
            {
                "name": name,
                "description": f"{verb.capitalize()} a {obj} in the {domain} system.",
                "parameters": {
                    "type": "object",
                    "properties": {"reference": {"type": "string"}, "note": {"type": "string"}},
                    "required": ["reference"],
                },
            }
        )
    return tuple(tools)


def _sizes(nodes: int, calls: int, min_calls: int, max_calls: int, rng: random.Random) -> list:
    """Long-tailed node sizes (Zipf-like) that add up to about ``calls``."""
    raw = [1.0 / (rank + 1) ** 1.1 for rank in range(nodes)]
    scale = calls / sum(raw)
    sizes = [min(max_calls, max(min_calls, round(w * scale))) for w in raw]
    special, rest = sizes[3:6], sizes[:3] + sizes[6:]  # the special nodes get mid-sized traffic
    rng.shuffle(rest)
    return special + rest


def plan_fleet(
    calls: int = 3000, nodes: int = 40, seed: int = 0, min_calls: int = 10, max_calls: int = 20000
) -> list[Node]:
    """The fleet's nodes: ``nodes`` regular ones (long-tailed sizes) and a few one-off nodes."""
    rng = random.Random(seed)
    domains = list(W.DOMAINS)
    rng.shuffle(domains)
    sizes = _sizes(nodes, calls, min_calls, max_calls, rng)
    out: list[Node] = []
    for i in range(nodes):
        out.append(_regular_node(i, domains[i % len(domains)], sizes[i], out, rng))
    for j in range(5):  # one-off nodes: a call or a few, of domains no regular node has
        out.append(_one_off_node(j, domains[(nodes + j) % len(domains)], rng))
    return out


def _regular_node(i: int, kind: tuple, size: int, before: list[Node], rng) -> Node:
    """Regular node ``i`` of a domain ``kind``; nodes 0-2 have roles the tests rely on."""
    domain, org, objects, people = kind
    role_index = 0 if i % 3 else rng.randrange(len(W.ROLES))
    n_tools, rag = rng.randint(2, 6), 0
    if i == 0:  # the tool-RAG node: 30 tools, a subset per call
        objects = objects + tuple(f"{o} archive" for o in objects)
        n_tools, rag = 30, 5
    tools = _tools(domain, objects, min(n_tools, 6 * len(objects)), rng)
    if i == 2:  # shares node 1's domain and tools, with a clearly different role
        first = before[1]
        domain, org, objects, people = first.domain, first.org, first.objects, first.people
        tools, role_index = first.tools, 1
    if i == 1:
        role_index = 0
    a, b = rng.sample(objects, 2)
    role = W.ROLES[role_index].format(a=a, b=b)
    fmt = dict(domain=domain, org=org, people=people, role=role)
    prompts = tuple(p.format(**fmt) for p in rng.sample(W.PROMPTS, rng.randint(2, 4)))
    answer = {0: "tool", 4: "tool", 3: "json"}.get(role_index, "text")
    if role_index in W.ROLE_INPUTS:  # a document to work on, one kind per node
        subtasks = (W.ROLE_INPUTS[role_index],)
    elif size < 150:
        subtasks = ("question",)
    else:  # a big node also takes documents of one or two other kinds
        extra = rng.sample(sorted(W.ROLE_INPUTS.values()), rng.randint(1, 2))
        subtasks = ("question", *extra)
    workload = SHARED_WORKLOAD if i % 4 == 1 else (None if i % 7 == 3 else f"node-{i:02d}")
    return Node(
        f"n{i:02d}", domain, org, objects, people, role, tools, prompts, workload, subtasks,
        answer, size, rag,
    )  # fmt: skip


def _one_off_node(j: int, kind: tuple, rng) -> Node:
    """One-off node ``j``: a call or a few, with two tools and one prompt."""
    domain, org, objects, people = kind
    role = W.ROLES[5].format(a=objects[0], b=objects[1])
    fmt = dict(domain=domain, org=org, people=people, role=role)
    return Node(
        f"t{j}", domain, org, objects, people, role, _tools(domain, objects, 2, rng),
        (W.PROMPTS[j % 4].format(**fmt),), None, ("question",), "text", rng.randint(1, 5),
    )  # fmt: skip


def _person(rng: random.Random) -> tuple[str, str]:
    first, last = rng.choice(W.FIRST_NAMES), rng.choice(W.LAST_NAMES)
    return f"{first} {last}", f"{first.lower()}.{last.lower()}{rng.randint(1, 99)}@example.org"


def _user_turn(node: Node, subtask: str, rng: random.Random) -> str:
    name, email = _person(rng)
    slots = {
        "o": rng.choice(node.objects),
        "id": f"{node.org[:3].upper()}-{rng.randint(10000, 99999)}",
        "name": name,
        "email": email,
        "phone": f"+1 {rng.randint(200, 989)}-{rng.randint(200, 999)}-{rng.randint(1000, 9999)}",
        "when": f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "num": str(rng.randint(2, 900)),
        "cents": f"{rng.randint(0, 99):02d}",
    }
    extra = rng.choice(W.EXTRAS).format(**slots) if rng.random() < 0.6 else ""
    return rng.choice(W.SUBTASKS[subtask]).format(extra=extra, **slots)


def _answer(node: Node, tools: list[dict], user: str, rng: random.Random) -> dict:
    if node.answer == "tool" and tools:
        tool = rng.choice(tools)
        args = {"reference": f"REF-{rng.randint(1000, 9999)}", "note": user[:40]}
        call = {"id": f"call_{rng.getrandbits(48):012x}", "type": "function",
                "function": {"name": tool["name"], "arguments": orjson.dumps(args).decode()}}  # fmt: skip
        return {"role": "assistant", "content": None, "tool_calls": [call]}
    if node.answer == "json":
        body = {"object": rng.choice(node.objects), "urgent": rng.random() < 0.3}
        return {"role": "assistant", "content": orjson.dumps(body).decode()}
    return {
        "role": "assistant",
        "content": f"Thanks for reaching {node.org}; here is what I found.",
    }


def _line(node: Node, subtask: str, rng: random.Random, ts: float) -> dict:
    tools = list(node.tools)
    if node.rag:
        tools = sorted(rng.sample(tools, node.rag), key=lambda t: t["name"])
    user = _user_turn(node, subtask, rng)
    messages = [
        {"role": "system", "content": rng.choice(node.prompts)},
        {"role": "user", "content": user},
    ]
    request = {"model": "meta/llama-3.3-70b-instruct", "messages": messages}
    if tools:
        request["tools"] = [{"type": "function", "function": t} for t in tools]
    line = {
        "request": request,
        "response": {"choices": [{"message": _answer(node, tools, user, rng)}]},
        "client_id": "fleet-1",
        "timestamp": int(ts),
    }
    if node.workload:
        line["workload_id"] = node.workload
    return line


def generate_fleet(
    logs_dir: str | Path,
    truth_path: str | Path | None = None,
    calls: int = 3000,
    nodes: int = 40,
    seed: int = 0,
    call_seed: int | None = None,
    max_calls: int = 20000,
) -> list[Node]:
    """Write a fleet's traffic to ``logs_dir/fleet.openai.jsonl`` and its truth file.

    ``seed`` fixes the nodes; ``call_seed`` (default: ``seed``) the calls, so a fresh batch of
    the same fleet is ``call_seed=seed + 1``. Returns the nodes.
    """
    logs_dir = Path(logs_dir)
    truth_path = Path(truth_path) if truth_path else logs_dir.parent / "fleet-truth.jsonl"
    logs_dir.mkdir(parents=True, exist_ok=True)
    fleet = plan_fleet(calls, nodes, seed, max_calls=max_calls)
    rng = random.Random(seed if call_seed is None else call_seed + 7919)
    schedule = [(node, rng.choice(node.subtasks)) for node in fleet for _ in range(node.calls)]
    rng.shuffle(schedule)
    name = "fleet.openai.jsonl"
    with open(logs_dir / name, "wb") as logs, open(truth_path, "wb") as truth:
        for number, (node, subtask) in enumerate(schedule, start=1):
            logs.write(orjson.dumps(_line(node, subtask, rng, START + 30 * number)) + b"\n")
            truth.write(
                orjson.dumps({"file": name, "line": number, "node": node.name, "subtask": subtask})
                + b"\n"
            )
    return fleet
