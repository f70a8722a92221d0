"""Graphviz SVG made safe to inline in a page: only drawing elements and attributes are kept."""

from __future__ import annotations

import xml.etree.ElementTree as ET

_SVG = "http://www.w3.org/2000/svg"
_XLINK = "http://www.w3.org/1999/xlink"
# what Graphviz draws with; anything else (script, foreignObject, style, use, image, links) goes
ELEMENTS = frozenset({"svg", "g", "title", "text", "tspan", "path", "polygon", "polyline",
                      "ellipse", "circle", "line", "rect"})
ATTRIBUTES = frozenset({
    "id", "class", "width", "height", "viewBox", "transform", "points", "d", "x", "y", "cx", "cy",
    "r", "rx", "ry", "x1", "x2", "y1", "y2", "fill", "stroke", "stroke-width", "stroke-dasharray",
    "text-anchor", "font-family", "font-size", "font-weight", "font-style", "fill-opacity",
    "stroke-opacity", "opacity"})


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _clean(element: ET.Element) -> ET.Element:
    out = ET.Element(_local(element.tag))
    for name, value in element.attrib.items():
        if _local(name) in ATTRIBUTES and "}" not in name:
            out.set(name, value)
    out.text = element.text
    for child in element:
        tag = _local(child.tag)
        if tag == "a":  # Graphviz wraps nodes in <a xlink:title>: keep the drawing, drop the link
            for grandchild in child:
                if _local(grandchild.tag) in ELEMENTS:
                    out.append(_clean(grandchild))
        elif tag in ELEMENTS:
            out.append(_clean(child))
    out.tail = element.tail
    return out


def sanitize(svg: str, *, label: str = "") -> str:
    """The drawing of ``svg`` without scripts, links, styles, comments or the XML prologue, as an
    ``<svg role="img">`` element titled ``label``; ValueError when it is not an SVG document."""
    try:
        root = ET.fromstring(svg.encode("utf-8"))  # Graphviz's output: no entity is declared
    except ET.ParseError as exc:
        raise ValueError(f"not an SVG document: {exc}") from None
    if _local(root.tag) != "svg":
        raise ValueError(f"not an SVG document: the root is <{_local(root.tag)}>")
    clean = _clean(root)
    clean.set("xmlns", _SVG)
    clean.set("role", "img")
    if label:
        clean.set("aria-label", label)
    clean.set("focusable", "false")
    return ET.tostring(clean, encoding="unicode", method="xml")


__all__ = ["ATTRIBUTES", "ELEMENTS", "sanitize"]
