"""Sphinx configuration for the ceilocompat documentation.

Build (warnings are errors, examples are executed)::

    python -m sphinx -W -b html docs docs/_build/html
    python -m sphinx -W -b doctest docs docs/_build/doctest
"""

import doctest
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "_ext"))

import ceilocompat  # the installed package is what gets documented

project = "ceilocompat"
author = "the ceilocompat authors"
copyright = "the ceilocompat authors, Apache-2.0"
release = ceilocompat.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
    "sphinx.ext.viewcode",
    "docstring_doctests",
    "wiretables",
]

root_doc = "index"
exclude_patterns = ["_build", "_ext"]
templates_path = []
default_role = "code"
pygments_style = "sphinx"

# -- autodoc -------------------------------------------------------------------
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_description_target = "documented"
autodoc_class_signature = "mixed"
autodoc_preserve_defaults = True

# -- doctest -------------------------------------------------------------------
# Exception messages are part of what the examples show, so they are compared
# too (Sphinx ignores exception details by default).
doctest_default_flags = doctest.ELLIPSIS | doctest.DONT_ACCEPT_TRUE_FOR_1
doctest_test_doctest_blocks = "default"

# -- HTML ----------------------------------------------------------------------
html_theme = "alabaster"
html_title = f"ceilocompat {release}"
html_theme_options = {
    "description": "Ceilometer's message bus across releases",
    "fixed_sidebar": True,
}
html_sidebars = {"**": ["about.html", "navigation.html", "relations.html", "searchbox.html"]}
