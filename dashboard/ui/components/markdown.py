"""Markdown that people typed (meeting minutes), rendered without any way to inject script.

Three layers: markdown-it-py with raw HTML *disabled* (a ``<script>`` typed in the minutes
becomes the text "<script>"), nh3 sanitising the result against a short allow-list (tags,
attributes, http(s) links only), and finally the sanitised HTML is turned into Dash ``html.*``
components, never injected as HTML: React escapes every text node, so even a sanitiser bug could
not produce a live element. Only absolute http(s) URLs with a host become links; anything else
(``//other.host``, relative paths, ``javascript:``, ``data:``, ``mailto:``) keeps its text and
loses the link, because nh3 lets scheme-relative and relative URLs through.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import nh3
from dash import html
from markdown_it import MarkdownIt

_TAGS = {
    "p": html.P,
    "h1": html.H3,
    "h2": html.H4,
    "h3": html.H5,
    "h4": html.H6,
    "h5": html.H6,
    "h6": html.H6,
    "ul": html.Ul,
    "ol": html.Ol,
    "li": html.Li,
    "strong": html.Strong,
    "em": html.Em,
    "code": html.Code,
    "pre": html.Pre,
    "blockquote": html.Blockquote,
    "a": html.A,
    "br": html.Br,
    "hr": html.Hr,
    "table": html.Table,
    "thead": html.Thead,
    "tbody": html.Tbody,
    "tr": html.Tr,
    "th": html.Th,
    "td": html.Td,
    "del": html.Del,
    "s": html.S,
}
_VOID = {"br", "hr"}
# Containers whose whitespace between children is layout, not text (and invalid in a <tr>).
_BLOCK_CONTAINERS = {"table", "thead", "tbody", "tr", "ul", "ol", "blockquote"}
_ATTRIBUTES = {"a": {"href", "title"}, "th": {"style"}, "td": {"style"}, "ol": {"start"}}
_ALIGN = {"text-align:left": "left", "text-align:center": "center", "text-align:right": "right"}

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)


def is_web_url(href: str | None) -> bool:
    """True for an absolute http(s) URL naming a host: the only links people's text may hold."""
    try:
        parts = urlsplit(href or "")
        return parts.scheme.lower() in {"http", "https"} and bool(parts.hostname)
    except ValueError:
        return False


def sanitized_html(text: str) -> str:
    """Markdown → HTML with raw HTML disabled, then cleaned by nh3."""
    rendered = _md.render(text or "")
    return nh3.clean(
        rendered,
        tags=set(_TAGS),
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https"},
        filter_style_properties={"text-align"},
        link_rel="noopener noreferrer",
    )


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict, list]] = [("root", {}, [])]

    def handle_starttag(self, tag, attrs):
        if tag not in _TAGS:
            return
        props: dict = {}
        for name, value in attrs:
            if tag == "a" and name == "href" and is_web_url(value):
                props["href"], props["target"], props["rel"] = value, "_blank", "noopener noreferrer"
            elif name == "title" and value:
                props["title"] = value
            elif name == "style" and value:
                align = _ALIGN.get(value.replace(" ", "").rstrip(";"))
                if align:
                    props["style"] = {"textAlign": align}
            elif name == "start" and value and value.isdigit():
                props["start"] = int(value)
        if tag in _VOID:
            self.stack[-1][2].append(_TAGS[tag](**props))
        else:
            self.stack.append((tag, props, []))

    def handle_endtag(self, tag):
        if tag not in _TAGS or tag in _VOID:
            return
        # Close up to the matching tag (the sanitiser gives well-formed input; be tolerant anyway).
        while len(self.stack) > 1:
            name, props, children = self.stack.pop()
            if name in _BLOCK_CONTAINERS:
                children = [c for c in children if not (isinstance(c, str) and not c.strip())]
            if name == "a" and "href" not in props:
                # A link we refused: its words stay, as plain text.
                self.stack[-1][2].extend(children)
            else:
                self.stack[-1][2].append(_TAGS[name](children, **props))
            if name == tag:
                break

    def handle_data(self, data):
        if data:
            self.stack[-1][2].append(data)


def markdown_components(text: str) -> list:
    """Dash components for ``text`` (Markdown); plain text nodes only, no raw HTML."""
    builder = _Builder()
    builder.feed(sanitized_html(text))
    builder.close()
    while len(builder.stack) > 1:
        builder.handle_endtag(builder.stack[-1][0])
    # Newlines between block tags are not content.
    return [c for c in builder.stack[0][2] if not (isinstance(c, str) and not c.strip())]


def safe_markdown(text: str, **props) -> html.Div:
    """A ``div.markdown`` holding the rendered ``text``."""
    return html.Div(markdown_components(text), className="markdown " + props.pop("className", ""), **props)
