"""The pack's content rules for marketing email (`email:` in pack.yaml): an opt-out
mechanism (an unsubscribe link, or the vendor's own unsubscribe placeholder or mention)
and the sender's postal address, checked by `validate` in the message's body as written
and in its rendered text (HTML tags dropped, entities decoded).

The postal address is the workspace's (`policy: email: postal_address:`), per account
where they differ (`policy: email: accounts: {mail: {postal_address: ...}}`). A rule is
waived like any other, by name with a reason that every plan prints."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from pydantic import BaseModel, ConfigDict, Field

#: what an opt-out link says, in the languages of the example workspace and beyond
OPT_OUT_WORDS = re.compile(
    r"unsubscri|opt[\s_-]?out|d[ée]sinscri|d[ée]sabonn|(?:darse|dar|date) de baja|abmelden",
    re.IGNORECASE)
URL = re.compile(r"(?:https?://|mailto:)[^\s<>\"')]+", re.IGNORECASE)
NEAR = 80  # characters between an opt-out word and its URL in plain text


class AccountEmail(BaseModel):
    model_config = ConfigDict(extra="forbid")
    postal_address: str = Field(min_length=1)


class EmailPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    postal_address: str | None = Field(
        None, min_length=1, description="The sender's postal address every marketing email "
                                        "must show (every account)")
    accounts: dict[str, AccountEmail] = Field(
        default_factory=dict, description="Per account, where the address differs")

    def address_for(self, account: str) -> str | None:
        own = self.accounts.get(account)
        return own.postal_address if own else self.postal_address


class _Reader(HTMLParser):
    """Visible text and links (href, anchor text) of an HTML body."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.links: list[list[str]] = []
        self._open: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._open = [dict(attrs).get("href") or "", ""]
            self.links.append(self._open)
        if tag in ("br", "p", "div", "li", "tr", "td", "h1", "h2", "h3"):
            self.text.append("\n")

    def handle_endtag(self, tag):
        if tag == "a":
            self._open = None

    def handle_data(self, data):
        self.text.append(data)
        if self._open is not None:
            self._open[1] += data


def rendered(body: str, body_format: str | None) -> tuple[str, list[tuple[str, str]]]:
    """(visible text, [(href, anchor text)]) of a body."""
    if body_format != "html":
        return body, []
    reader = _Reader()
    reader.feed(body)
    reader.close()
    return "".join(reader.text), [(h, t) for h, t in reader.links]


def has_unsubscribe(body: str, body_format: str | None, placeholders: tuple[str, ...]) -> bool:
    """A link whose URL or anchor text says opt-out, a URL within NEAR characters of an
    opt-out word in the text, or one of the vendor's unsubscribe placeholders."""
    if any(p in body for p in placeholders):
        return True
    text, links = rendered(body, body_format)
    if any(h.strip() and (OPT_OUT_WORDS.search(h) or OPT_OUT_WORDS.search(t))
           and URL.match(h.strip()) for h, t in links):
        return True
    for source in (text, html.unescape(body) if body_format != "html" else ""):
        for m in URL.finditer(source):
            around = source[max(0, m.start() - NEAR):m.end() + NEAR]
            if OPT_OUT_WORDS.search(around):
                return True
    return False


def _squash(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def has_address(body: str, body_format: str | None, address: str) -> bool:
    """The address, ignoring case, spacing, line breaks and punctuation, in the body as
    written or in its rendered text."""
    want = _squash(address)
    text, _ = rendered(body, body_format)
    return bool(want) and (want in _squash(text) or want in _squash(html.unescape(body)))

