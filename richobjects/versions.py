"""A readable difference between two versions: one row per changed field.

JSON text diffs show brackets and commas; admins think in fields ("the second
item of Bikes is now called Road 600"), so both specs are flattened to
``path → value`` first and compared field by field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

Change = Literal["added", "removed", "changed"]


@dataclass(frozen=True)
class FieldChange:
    path: str
    change: Change
    before: str
    after: str


def _shown(value: Any) -> str:
    if isinstance(value, str):
        # Base64 images would fill the page; their size says enough.
        return value if len(value) <= 200 else f"<{len(value)} characters>"
    return json.dumps(value, ensure_ascii=False)


def flatten(value: Any, prefix: str = "") -> dict[str, str]:
    """``{"a": {"b": [1]}}`` → ``{"a.b[0]": "1"}``, in the builders' path style."""
    if isinstance(value, dict) and value:
        flat: dict[str, str] = {}
        for key, item in value.items():
            flat.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(value, list) and value:
        flat = {}
        for index, item in enumerate(value):
            flat.update(flatten(item, f"{prefix}[{index}]"))
        return flat
    return {prefix or "(content)": _shown(value)}


def version_diff(before: Any, after: Any) -> list[FieldChange]:
    """The fields that differ, in the order they appear (``after``'s, then removed ones)."""
    old, new = flatten(before), flatten(after)
    changes: list[FieldChange] = []
    for path, value in new.items():
        if path not in old:
            changes.append(FieldChange(path, "added", "", value))
        elif old[path] != value:
            changes.append(FieldChange(path, "changed", old[path], value))
    for path, value in old.items():
        if path not in new:
            changes.append(FieldChange(path, "removed", value, ""))
    return changes
