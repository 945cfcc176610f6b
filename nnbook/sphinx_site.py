"""A small Sphinx extension for the book's website (listed in ``_config.yml``).

Jupyter Book v1 registers sphinx-thebe's inline configuration script twice on some pages,
which declares the same ``const`` twice and puts a SyntaxError in every reader's console.
This drops repeated inline scripts before a page is written.
"""

from __future__ import annotations


def _drop_repeated_scripts(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        # The same inline script comes once with filename None and once with "".
        key = (getattr(script, "filename", None) or "",
               tuple(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def setup(app):
    # Last, after the extensions that add scripts while a page is being written.
    app.connect("html-page-context", _drop_repeated_scripts, priority=990)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
