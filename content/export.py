"""The effective content (the repository's YAML with the Office's edits over it) written
back as YAML a developer can commit: `python -m bot content export --out DIR`.

Every file of the content is copied as it is; in an entries file, only the blocks of
the entries (and deadlines) the Office edited are replaced (the file's comments and the other entries'
layout stay, so the diff shows the Office's changes alone), and a new entry is added at
the end of the file of its topic (entries/<topic>.yaml, created when missing). A units list
the Office edited is written as the whole units.yaml (the list is replaced, not patched).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import yaml

from content.deadlines import DeadlineSpec
from content.schema import Entry, UnitFile
from storage.edit_keys import DEADLINE_PREFIX, OUT_OF_SCOPE_KEY, UNITS_KEY

# Short lists written on one line, as the shipped files write them.
FLOW_FIELDS = ("keywords", "related", "tags", "offsets")


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # "questions:" then its items indented under it, as the shipped files write them.
        return super().increase_indent(flow, False)


class _Flow(list):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    # Answers are paragraphs: written as a literal block, as the curators write them.
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value.rstrip("\n") + "\n", style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str)
_Dumper.add_representer(_Flow, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))


def entry_yaml(data: dict, indent: str = "  ") -> str:
    """One entry as an item of the `entries:` list, indented like the shipped files."""
    data = {k: _Flow(v) if k in FLOW_FIELDS and isinstance(v, list) else v for k, v in data.items()}
    text = yaml.dump([data], Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=120, indent=2)
    return "".join(f"{indent}{line}" if line.strip() else line for line in text.splitlines(keepends=True))


def units_yaml(data: dict) -> str:
    """The units list as units.yaml: the note, then one item per unit."""
    head = "# Danh sách đơn vị do Văn phòng sửa trên trang quản trị (xuất bằng `python -m bot content export`).\n"
    return head + yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=120, indent=2)


def _block(text: str, entry_id: str) -> tuple[int, int, str] | None:
    """Where an entry's item is in a file's text: (start, end, indent)."""
    start = re.search(rf"^([ \t]*)- id:[ \t]*['\"]?{re.escape(entry_id)}['\"]?[ \t]*$", text, re.M)
    if start is None:
        return None
    indent = start.group(1)
    after = re.compile(rf"^{re.escape(indent)}-\s|^\S", re.M).search(text, start.end())
    end = after.start() if after else len(text)
    lines = text[start.start():end].splitlines(keepends=True)
    while len(lines) > 1 and (not lines[-1].strip() or lines[-1].lstrip().startswith("#")):
        lines.pop()  # blank lines and a comment before the next item stay where they are
    return start.start(), start.start() + sum(map(len, lines)), indent


def export(content_dir: Path, overlay: dict[str, dict | None], out: Path) -> list[Path]:
    """Write the content with `overlay` applied to `out` (created; must not hold content
    already). Returns the files that differ from the repository's."""
    content_dir, out = Path(content_dir), Path(out)
    shutil.copytree(content_dir, out, ignore=shutil.ignore_patterns("*.py", "__pycache__", "*.pyc"),
                    dirs_exist_ok=True)
    files = {}
    for path in sorted((out / "entries").glob("*.yaml")):
        files[path] = path.read_text(encoding="utf-8")
    changed: set[Path] = set()
    for entry_id, data in overlay.items():
        if data is None or entry_id == OUT_OF_SCOPE_KEY:  # the out-of-scope examples live in the database only
            continue
        if entry_id == UNITS_KEY:
            units = UnitFile.model_validate(data).model_dump(exclude_none=True)
            files[out / "units.yaml"] = units_yaml(units)
            changed.add(out / "units.yaml")
            continue
        if entry_id.startswith(DEADLINE_PREFIX):
            path = out / "deadlines.yaml"
            text = files.get(path) or (path.read_text(encoding="utf-8") if path.exists() else "deadlines:\n")
            spec = DeadlineSpec.model_validate(data).model_dump(exclude_defaults=True)
            block = _block(text, spec["id"])
            if block is None:
                text = text.rstrip("\n") + "\n\n" + entry_yaml(spec)
            else:
                text = text[:block[0]] + entry_yaml(spec, block[2]) + text[block[1]:]
            files[path] = text
            changed.add(path)
            continue
        data = Entry.model_validate(data).model_dump(exclude_defaults=True)
        home = next((p for p, t in files.items() if _block(t, entry_id) is not None), None)
        if home is not None:
            text = files[home]
            start, end, indent = _block(text, entry_id)  # type: ignore[misc]
            files[home] = text[:start] + entry_yaml(data, indent) + text[end:]
        else:
            home = out / "entries" / f"{data['topic']}.yaml"
            text = files.get(home, "entries:\n")
            files[home] = text.rstrip("\n") + "\n\n" + entry_yaml(data)
        changed.add(home)
    for path in changed:
        path.write_text(files[path], encoding="utf-8")
    return sorted(changed)
