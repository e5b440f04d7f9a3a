"""Reading pages as a person would: visible text, and which UI strings are still English."""

import os
import re
from html.parser import HTMLParser

from babel.messages.pofile import read_po

POT = os.path.join(os.path.dirname(__file__), "..", "translations", "messages.pot")


class _Text(HTMLParser):
    """Visible text, skipping elements marked as another language (content shown untranslated)."""

    VOID = {"br", "img", "input", "meta", "link", "hr", "source", "wbr"}

    def __init__(self, page_lang):
        super().__init__()
        self.page_lang = page_lang
        self.stack = []
        self.parts = []
        self.first_focusable = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.first_focusable is None and tag in ("a", "button", "input", "select"):
            self.first_focusable = attrs
        if tag in self.VOID:
            return
        foreign = "lang" in attrs and tag != "html" and attrs["lang"] != self.page_lang
        inherited = bool(self.stack) and self.stack[-1][1]
        self.stack.append((tag, bool(foreign or inherited)))

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if not (self.stack and self.stack[-1][1]) and not (self.stack and self.stack[-1][0] in
                                                            ("script", "style", "title")):
            self.parts.append(data)


def english_ui_strings():
    with open(POT, "rb") as handle:
        catalog = read_po(handle)
    out = []
    for message in catalog:
        text = message.id if isinstance(message.id, str) else message.id[0]
        plain = re.sub(r"%\(\w+\)[sd]", "", text).strip()
        if len(plain) >= 12 and " " in plain:
            out.append(plain.split("%")[0].strip())
    return out


