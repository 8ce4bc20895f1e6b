"""Self-consistent action generation: majority vote over sampled answers."""

from __future__ import annotations

from slmconvert import evaluation as ev
from slmconvert.evaluation import Answer, Call


def calls(*pairs: tuple[str, dict]) -> Answer:
    return Answer("tool_calls", calls=tuple(Call(name, args) for name, args in pairs))


BROKEN = Answer("invalid", error="tool call JSON does not parse")


def test_largest_group_of_normalised_calls_wins():
    a = calls(("get_order_status", {"order_id": "ORD-1"}))
    a_spelled_differently = calls(("get_order_status", {"order_id": "ord 1"}))
    b = calls(("get_refund_status", {"order_id": "ORD-1"}))
    assert ev.vote([b, BROKEN, a, a_spelled_differently]) is a


def test_parallel_calls_group_regardless_of_order():
    first = calls(("h", {}))
    xy = calls(("f", {"n": 10}), ("f", {"n": 9.0}))
    yx = calls(("f", {"n": 9}), ("f", {"n": 10.0}))
    assert ev.vote([first, xy, yx]) is xy


def test_ties_go_to_the_earliest_group_and_all_different_gives_the_first_valid():
    a, b = calls(("f", {"n": 1})), calls(("f", {"n": 2}))
    assert ev.vote([BROKEN, a, b, b, a]) is a
    c = Answer("text", text="I can't help with that.")
    assert ev.vote([BROKEN, b, a, c]) is b


def test_invalid_samples_never_win_and_all_invalid_gives_the_first():
    other_broken = Answer("invalid", error="tool call has no name")
    text = Answer("text", text="Done!")
    assert ev.vote([BROKEN, other_broken, BROKEN, text]) is text
    assert ev.vote([BROKEN, other_broken]) is BROKEN


def test_text_answers_group_by_normalised_text():
    hello, hello_again = Answer("text", text="Hello, there!"), Answer("text", text="hello there!")
    other = Answer("text", text="Goodbye.")
    assert ev.vote([other, hello, hello_again]) is hello
