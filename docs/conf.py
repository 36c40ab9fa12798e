"""Sphinx configuration for conda-altsolver's documentation (MyST Markdown sources)."""

project = "conda-altsolver"
author = "conda-altsolver contributors"
copyright = "2026, conda-altsolver contributors"

extensions = ["myst_parser"]
source_suffix = {".md": "markdown"}
master_doc = "index"
exclude_patterns = ["_build"]
myst_heading_anchors = 3
html_theme = "alabaster"
