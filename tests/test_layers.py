"""The layer rule, checked on every import of every module, inside functions too.

Lowest first: ``conversations/apple/`` (imports nothing of ours) → ``conversations``
(the core) → ``richobjects``, ``businesses``, ``integrations`` (features; the
latter two may use ``richobjects``) → ``insights`` (reports on top of the features:
business hours, routing's priority, webhooks, quick replies) → ``sandbox``. import-linter says the same in
``make lint``; this walks the source itself so the rule holds without it.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = (
    "conversations",
    "richobjects",
    "businesses",
    "integrations",
    "insights",
    "sandbox",
)
RANK = {
    "conversations.apple": 0,
    "conversations": 1,
    "richobjects": 2,
    "businesses": 3,
    "integrations": 3,
    "insights": 4,
    "sandbox": 5,
}
SIDEWAYS = {
    ("businesses", "richobjects"),
    ("integrations", "richobjects"),
    ("insights", "richobjects"),
    ("insights", "businesses"),
    ("insights", "integrations"),
}


def layer_of(module: str) -> str | None:
    if module == "conversations.apple" or module.startswith("conversations.apple."):
        return "conversations.apple"
    top = module.split(".")[0]
    return top if top in RANK else None


def imports_of(path: Path, module: str) -> list[tuple[int, str]]:
    package = module.split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((node.lineno, target))
    return found


def allowed(source: str, target: str) -> bool:
    if source == target:
        return True
    if source == "conversations.apple":
        return False
    if RANK[target] < RANK[source]:
        return (
            (source, target) in SIDEWAYS
            or target
            in (
                "conversations",
                "conversations.apple",
            )
            or source == "sandbox"
        )
    return False


def breaches() -> list[str]:
    found = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            source = layer_of(module)
            assert source is not None
            for line, target_module in imports_of(path, module):
                target = layer_of(target_module)
                if target is not None and not allowed(source, target):
                    found.append(f"{path.relative_to(ROOT)}:{line} → {target_module}")
    return found


def test_no_module_imports_a_higher_layer() -> None:
    assert breaches() == []


def test_the_check_sees_a_breach_inside_a_function(tmp_path: Path) -> None:
    source = tmp_path / "inbound.py"
    source.write_text("def f():\n    from businesses.routing import x\n")
    (_line, target), *_ = imports_of(source, "conversations.services.inbound")
    assert target == "businesses.routing"
    assert not allowed(layer_of("conversations.services.inbound"), layer_of(target))
    assert not allowed("richobjects", "integrations")
    assert not allowed("businesses", "integrations")
    assert allowed("integrations", "richobjects")
    assert not allowed("conversations.apple", "conversations")
    assert allowed("insights", "businesses")
    assert not allowed("businesses", "insights")
    assert not allowed("conversations", "insights")
