"""Error messages in the language of ``--lang``, for the commands that read a directory.

``directory validate``, ``import`` and ``store import`` say what is wrong with a file in
Japanese (the default) or English.  The library words its messages in English, with the
field's path; :func:`error_text` puts the frame in the chosen language and the messages
that a directory file most often gets (an unknown or missing field, a wrong type, a value
outside its vocabulary, a broken reference, a file that cannot be read or is too large)
into Japanese from :data:`PATTERNS`.  A message the catalogue does not know stays as the
library wrote it, so nothing is ever lost in translation.
"""

from __future__ import annotations

import re

from saihan.errors import SaihanError, ValidationError

__all__ = ["PATTERNS", "error_text", "japanese_message"]

# The JSON types the schema check names, in Japanese.
_TYPES = {
    "integer": "整数",
    "number": "数値",
    "string": "文字列",
    "boolean": "真偽値",
    "array": "配列",
    "object": "オブジェクト",
    "null": "null",
}


def _types(text: str) -> str:
    return " または ".join(_TYPES.get(word, word) for word in text.split(" or "))


# (the English message, as a pattern over the whole message; its Japanese).
PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(f"^{pattern}$", re.DOTALL), japanese)
    for pattern, japanese in (
        (r"unknown field (?P<name>.+)", "未知の項目 {name}"),
        (r"required field is missing", "必須の項目がありません"),
        (
            r"expected (?P<expected>[a-z ]+), got (?P<got>[a-z]+) (?P<value>.*)",
            "{expected:types} が必要ですが、{got:types} {value} です",
        ),
        (
            r"(?P<value>.+) is not one of: (?P<allowed>.+)",
            "{value} は次のいずれでもありません: {allowed}",
        ),
        (
            r"(?P<value>.+) is not one of (?P<allowed>.+)",
            "{value} は次のいずれでもありません: {allowed}",
        ),
        (
            r"(?P<value>.+) does not match the pattern (?P<pattern>.+)",
            "{value} は形式 {pattern} に合いません",
        ),
        (r"unknown need (?:code )?(?P<code>.+)", "未知のニーズ {code}"),
        (r"unknown agency kind (?P<code>.+)", "未知の機関の種別 {code}"),
        (r"duplicate agency id (?P<id>.+)", "機関の id {id} が重複しています"),
        (r"duplicate service id (?P<id>.+)", "サービスの id {id} が重複しています"),
        (r"no agency has id (?P<id>.+)", "id が {id} の機関はありません"),
        (
            r"cannot read (?P<name>'.*'): (?P<why>.+)",
            "{name} を読めません: {why}",
        ),
        (
            r"the \w+ (?P<name>'.*') is larger than (?P<limit>[0-9,]+) bytes "
            r"\(the limit; pass your own Limits for larger honest data\)",
            "{name} は上限の {limit} バイトを超えています"
            "（正当な大きいデータには、ライブラリから独自の Limits を渡してください）",
        ),
        (
            r"no plugin (?P<name>'.*') in group 'saihan\.importers'; installed: (?P<names>.*)",
            "インポーター {name} はありません。インストール済み: {names}",
        ),
        (
            r"importer (?P<name>'.*') reads (?P<reads>\w+), not Directory; "
            r"importers for Directory: (?P<names>.*)",
            "インポーター {name} が読むのは {reads} で、ディレクトリではありません。"
            "ディレクトリのインポーター: {names}",
        ),
        (
            r"the (?P<name>.+) importer cannot skip records; it is strict only",
            "インポーター {name} は記録を飛ばせません（厳格な読み込みのみ）",
        ),
        (
            r"the (?P<name>.+) format takes no option (?P<option>.+)",
            "形式 {name} にオプション {option} はありません",
        ),
    )
)


def japanese_message(message: str) -> str:
    """``message`` in Japanese when the catalogue knows its form, else as it is."""
    for pattern, template in PATTERNS:
        found = pattern.match(message)
        if found is not None:
            parts = found.groupdict()
            text = template
            for name, value in parts.items():
                text = text.replace(f"{{{name}:types}}", _types(value))
                text = text.replace(f"{{{name}}}", value)
            return text
    return message


def error_text(error: SaihanError, lang: str) -> str:
    """What ``saihan`` prints on standard error for ``error``, in ``lang``."""
    if lang != "ja":
        return f"error: {error}"
    if isinstance(error, ValidationError):
        count = len(error.errors)
        lines = [f"エラー: 検証エラー {count} 件:"]
        lines += [
            f"  {item.path or '<root>'}: {japanese_message(item.message)}" for item in error.errors
        ]
        return "\n".join(lines)
    return f"エラー: {japanese_message(str(error))}"
