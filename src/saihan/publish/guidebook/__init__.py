"""The guidebook (非行少年・再犯防止支援ガイドブック): the directory by priority area, every
support flow as a flowchart with its explanation, and columns, as a printable PDF or
one HTML file.

>>> from saihan.publish.guidebook import write_guidebook          # doctest: +SKIP
>>> write_guidebook(sample_directory(), "guidebook.pdf")

``saihan guidebook build`` does the same from the shell; see docs/guidebook.md.
"""

from saihan.publish.guidebook.build import (
    FORMATS,
    GuidebookError,
    build_guidebook,
    guidebook_html,
    japanese_font,
    write_guidebook,
)
from saihan.publish.guidebook.columns import Column, bundled_columns, load_column, load_columns
from saihan.publish.guidebook.explain import FlowStepText, explain_flow

__all__ = [
    "FORMATS",
    "Column",
    "FlowStepText",
    "GuidebookError",
    "build_guidebook",
    "bundled_columns",
    "explain_flow",
    "guidebook_html",
    "japanese_font",
    "load_column",
    "load_columns",
    "write_guidebook",
]
