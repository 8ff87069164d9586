"""Sphinx configuration for nengo-dl-trainable."""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))

import nengo_dl_trainable  # noqa: E402

project = "nengo-dl-trainable"
author = "nengo-dl-trainable developers"
copyright = "2026, nengo-dl-trainable developers"  # noqa: A001
version = release = nengo_dl_trainable.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
]
default_role = "py:obj"
numpydoc_show_class_members = False
autodoc_member_order = "bysource"
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_static_path = []

# Every reference must resolve (a stale name fails the build with -n -W), except
# names of the packages this one builds on: their inventories would have to be
# fetched (intersphinx), and the documentation builds without network access.
nitpicky = True
nitpick_ignore_regex = [
    (
        r"py:.*",
        r"~?(nengo|nengo_dl|numpy|np|scipy|tf|tensorflow|keras|sys|builder|signals"
        r"|Simulator|Process|Converter)(\..*)?",
    ),
]
