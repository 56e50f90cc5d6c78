"""Publications made from the directory and the flows: the portal site and the guidebook.

- :mod:`saihan.publish.guidebook`: 非行少年・再犯防止支援ガイドブック, a printable PDF or
  one HTML file (``saihan guidebook build``; docs/guidebook.md).
"""
