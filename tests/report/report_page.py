"""Read a report page back with the standard library's HTML parser, as a browser would."""

from __future__ import annotations

import base64
from html.parser import HTMLParser

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class Page(HTMLParser):
    """Sections (id → text), tables per section, and the images' data URIs."""

    def __init__(self, text: str):
        super().__init__()
        self.sections: dict[str, str] = {}
        self.tables: dict[str, int] = {}
        self.images: dict[str, list[str]] = {}
        self._current: str | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self._current = attrs["id"]
            self.sections[self._current] = ""
            self.tables[self._current] = 0
            self.images[self._current] = []
        elif tag == "table" and self._current:
            self.tables[self._current] += 1
        elif tag == "img" and self._current:
            self.images[self._current].append(attrs["src"])

    def handle_endtag(self, tag):
        if tag == "section":
            self._current = None

    def handle_data(self, data):
        if self._current:
            self.sections[self._current] += data


def png_of(src: str) -> bytes:
    """The PNG bytes of a data URI (fails if it is not an embedded PNG)."""
    prefix = "data:image/png;base64,"
    assert src.startswith(prefix)
    data = base64.b64decode(src[len(prefix) :], validate=True)
    assert data.startswith(PNG_MAGIC)
    return data
