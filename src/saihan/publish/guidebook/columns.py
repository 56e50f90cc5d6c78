"""Part 3 of the guidebook: columns, one Markdown file each, from a folder.

A column is a ``.md`` file (UTF-8) with an optional front matter block::

    ---
    title: 協力雇用主として
    author: 株式会社〇〇 代表
    ---
    本文 (CommonMark, with tables) ...

Without a ``title`` the first level-1 heading (``# ...``) is the title.  Raw HTML is
shown as text, never as markup; images must be files inside the folder (PNG, JPEG,
GIF or SVG) and are embedded, so the guidebook makes no request to another host.
Files are taken in the order of their names (``01-....md``, ``02-....md``).
"""

from __future__ import annotations

import base64
import functools
from importlib import resources
from pathlib import Path
from typing import Any

import attrs

from saihan.errors import ErrorItem, ValidationError
from saihan.limits import check_text, parse_yaml, read_file

__all__ = ["Column", "bundled_columns", "load_column", "load_columns"]

_KEYS = {"title", "author", "sample"}
_IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
}


@attrs.frozen
class Column:
    """One column: its title, author, body as HTML, and whether it is a sample."""

    name: str = attrs.field(metadata={"doc": "The file's name."})
    title: str = attrs.field(metadata={"doc": "The column's title."})
    body_html: str = attrs.field(repr=False, metadata={"doc": "The body, as safe HTML."})
    author: str | None = attrs.field(default=None, metadata={"doc": "Who wrote it."})
    sample: bool = attrs.field(default=False, metadata={"doc": "A bundled example column."})


def _error(path: Path, message: str) -> ValidationError:
    return ValidationError([ErrorItem(str(path), message)])


@functools.lru_cache(maxsize=1)
def _parser() -> Any:
    from markdown_it import MarkdownIt

    # commonmark with html off: a column's "<script>" is printed, never run
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def _front_matter(text: str, path: Path) -> tuple[dict[str, Any], str]:
    if not text.startswith("---\n"):
        return {}, text
    end = text.find("\n---\n", 3)
    if end == -1:
        raise _error(path, "the front matter that starts with '---' has no closing '---' line")
    try:
        data = parse_yaml(text[4:end], what="front matter")
    except ValidationError as error:
        raise _error(path, f"front matter is not valid YAML: {error.errors[0].message}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise _error(path, "front matter must be a mapping (title: ..., author: ...)")
    unknown = sorted(set(map(str, data)) - _KEYS)
    if unknown:
        raise _error(
            path, f"unknown front matter key(s) {', '.join(unknown)}; known: title, author, sample"
        )
    for key in ("title", "author"):
        if key in data and not (isinstance(data[key], str) and data[key].strip()):
            raise _error(path, f"front matter {key!r} must be a non-empty text")
    if "sample" in data and not isinstance(data["sample"], bool):
        raise _error(path, "front matter 'sample' must be true or false")
    return data, text[end + 5 :]


def _embed_images(tokens: list[Any], path: Path, root: Path) -> None:
    for token in tokens:
        if token.children:
            _embed_images(token.children, path, root)
        if token.type != "image":
            continue
        source = str(token.attrGet("src") or "")
        if ":" in source.split("/", 1)[0] or source.startswith("//"):
            raise _error(
                path,
                f"image {source!r} is not a file in the columns folder "
                "(the guidebook fetches nothing from another host)",
            )
        image = (path.parent / source).resolve()
        if not image.is_relative_to(root) or not image.is_file():
            raise _error(path, f"image {source!r} is not a file in the columns folder")
        kind = _IMAGE_TYPES.get(image.suffix.lower())
        if kind is None:
            raise _error(path, f"image {source!r}: use PNG, JPEG, GIF or SVG")
        data = base64.b64encode(read_file(image, what="image")).decode("ascii")
        token.attrSet("src", f"data:{kind};base64,{data}")


def load_column(path: str | Path, *, root: Path | None = None, sample: bool = False) -> Column:
    """One column file; :class:`~saihan.errors.ValidationError` naming the file when it
    cannot be read (not UTF-8, too big), its front matter is wrong, it has no title, or
    an image is not a file inside ``root`` (default: the file's folder)."""
    path = Path(path)
    folder = (root or path.parent).resolve()
    try:
        text = check_text(read_file(path, what="column"), what="column")
    except ValidationError as error:
        raise _error(path, error.errors[0].message) from None
    text = text.replace("\r\n", "\n")
    meta, body = _front_matter(text, path)
    parser = _parser()
    tokens = parser.parse(body)
    title = meta.get("title")
    if title is None:
        for index, token in enumerate(tokens):
            if token.type == "heading_open" and token.tag == "h1":
                title = tokens[index + 1].content
                del tokens[index : index + 3]
                break
    if not title:
        raise _error(path, "a column needs a title: front matter 'title:' or a '# heading'")
    _embed_images(tokens, path, folder)
    html = parser.renderer.render(tokens, parser.options, {})
    # the column's own headings sit below the column's title (h2) in the guidebook
    for level in (5, 4, 3, 2, 1):
        html = html.replace(f"<h{level}>", f"<h{level + 2}>").replace(
            f"</h{level}>", f"</h{level + 2}>"
        )
    return Column(
        name=path.name,
        title=str(title).strip(),
        body_html=html,
        author=meta.get("author"),
        sample=bool(meta.get("sample", sample)),
    )


def load_columns(folder: str | Path) -> tuple[Column, ...]:
    """Every ``*.md`` file of ``folder``, in the order of their names."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValidationError(f"{folder}: not a folder of column files", path="columns")
    files = sorted(item for item in folder.iterdir() if item.suffix.lower() == ".md")
    if not files:
        raise ValidationError(f"{folder}: no Markdown (.md) column files in it", path="columns")
    return tuple(load_column(item, root=folder) for item in files)


def bundled_columns() -> tuple[Column, ...]:
    """The example columns that ship with saihan, each marked as a sample."""
    folder = resources.files("saihan.publish.guidebook") / "columns"
    with resources.as_file(folder) as path:
        files = sorted(item for item in Path(path).iterdir() if item.suffix == ".md")
        return tuple(load_column(item, root=Path(path), sample=True) for item in files)
