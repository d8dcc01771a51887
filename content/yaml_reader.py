"""Reading the content's YAML: one safe loader for every file of content/.

Apart from content/loader.py so that the modules which read a file of their own
(lexicon, commands, small talk, curation) need not import the loader, which imports
them.
"""

from __future__ import annotations

import yaml

# libyaml's parser when the installed PyYAML has it: the pure-Python one took
# most of a second of every start on the content alone.
_YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def yaml_load(text: str) -> object:
    return yaml.load(text, Loader=_YamlLoader)  # noqa: S506 (a safe loader)
