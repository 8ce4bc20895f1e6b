"""One Presidio recognizer shape for this project's detectors: report what a function finds.

Each detector (names, places, phones by shape, cards and IBANs, addresses, keyed secrets) is a
cached function ``find(text) -> ((start, end, entity, score), ...)``; ``span_recognizer`` wraps
it for Presidio with the exact ``could_match(text)`` the analyzer's pre-filter uses (true when
``analyze`` would report something), so no detector writes its own recognizer class.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

Found = tuple[tuple[int, int, str, float], ...]
"""What a detector finds in one text: ``(start, end, entity, score)`` per span."""


def span_recognizer(
    name: str,
    entities: Iterable[str],
    find: Callable[[str], Found],
    load: Callable[[], object] | None = None,
):
    """A Presidio ``EntityRecognizer`` named ``name`` reporting ``find(text)``'s spans of
    ``entities``; ``load`` runs when it is built (word lists shared by forked workers)."""
    from presidio_analyzer import EntityRecognizer, RecognizerResult

    wanted = frozenset(entities)

    class SpanRecognizer(EntityRecognizer):
        """Spans of a slmconvert detector, with an exact pre-filter."""

        def load(self) -> None:
            """Load the detector's word lists, if it has any."""
            if load is not None:
                load()

        def could_match(self, text: str) -> bool:
            """True when ``analyze`` would report something in ``text``."""
            return any(entity in wanted for _, _, entity, _ in find(text))

        def analyze(self, text, entities, nlp_artifacts=None):
            """The detector's results for ``text`` among ``entities``."""
            return [
                RecognizerResult(entity, start, end, score)
                for start, end, entity, score in find(text)
                if entity in wanted and entity in entities
            ]

    return SpanRecognizer(supported_entities=sorted(wanted), name=name)
