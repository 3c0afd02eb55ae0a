"""Minutes are Markdown people type: nothing in them may become live HTML or script."""

from dash import html

from dashboard.ui.components.markdown import markdown_components, sanitized_html


def _walk(node):
    yield node
    children = getattr(node, "children", None)
    if isinstance(children, list):
        for child in children:
            yield from _walk(child)
    elif children is not None:
        yield from _walk(children)


def _text(nodes) -> str:
    return "".join(n for root in nodes for n in _walk(root) if isinstance(n, str))


def test_script_tags_become_plain_text():
    nodes = markdown_components("会议纪要\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>")
    kinds = {type(n).__name__ for root in nodes for n in _walk(root) if not isinstance(n, str)}
    assert kinds <= {"P"}
    assert "<script>alert(1)</script>" in _text(nodes)
    assert "<img src=x onerror=alert(2)>" in _text(nodes)
    assert "<script" not in sanitized_html("<script>alert(1)</script>")


def test_dangerous_links_are_not_links():
    nodes = markdown_components("[click](javascript:alert(1)) [ok](https://example.org/a)")
    links = [n for root in nodes for n in _walk(root) if isinstance(n, html.A)]
    assert [a.href for a in links] == ["https://example.org/a"]
    assert links[0].rel == "noopener noreferrer"


def test_markdown_structure_is_kept():
    nodes = markdown_components("# 纪要\n\n- **一**\n- 二\n\n| 单位 | 措施 |\n|---|---|\n| 侯寨乡 | 约谈 |\n")
    names = [type(n).__name__ for root in nodes for n in _walk(root) if not isinstance(n, str)]
    assert names[0] == "H3" and "Strong" in names and "Table" in names and "Td" in names
    # No whitespace text directly inside table rows (invalid DOM).
    for root in nodes:
        for n in _walk(root):
            if isinstance(n, (html.Tr, html.Table, html.Tbody, html.Thead, html.Ul)):
                assert not any(isinstance(c, str) for c in n.children)


def _links(nodes) -> list:
    return [n for root in nodes for n in _walk(root) if isinstance(n, html.A)]


def test_only_absolute_web_links_are_links_and_the_rest_keeps_its_words():
    text = ("[a](//other.host/x) [b](/relative) [c](data:text/html,hi) [d](mailto:x@example.org) "
            "[e](https:///nohost) [f](http:other.host) [g](/\\other.host) [h](HTTPS://ok.example/p) "
            "<https://auto.example/>")
    nodes = markdown_components(text)
    assert [a.href for a in _links(nodes)] == ["HTTPS://ok.example/p", "https://auto.example/"]
    # markdown-it leaves a data: link as the literal text; the others keep their words.
    assert _text(nodes) == "a b [c](data:text/html,hi) d e f g h https://auto.example/"


def test_refused_link_keeps_its_formatting():
    nodes = markdown_components("see [**minutes**](//other.host/evil)")
    assert _links(nodes) == []
    assert any(isinstance(n, html.Strong) and n.children == ["minutes"] for root in nodes for n in _walk(root))
