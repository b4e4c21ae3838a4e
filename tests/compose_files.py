"""docker-compose files read as compose reads them, without docker-compose: the tests' view of the deployment.

Compose (v1 and v2 alike) parses each file with its YAML anchors, interpolates `${…}` in that file, then
merges the files in order: mappings key by key, lists appended, everything else replaced. That is what
`load` does, for the parts of the format these files use. tests/test_compose.py checks the result
against `docker-compose config` where docker-compose is installed.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "docker-compose.yml"
DEV = ROOT / "docker-compose.dev.yml"
DEV_ENV = ROOT / "docker-compose.dev.env"

# $$ (a literal $), ${NAME}, ${NAME<op>arg} with op one of :- - :? ? :+ +, $NAME (compose's grammar).
_VARIABLE = re.compile(r"\$(?:(?P<escaped>\$)|\{(?P<braced>[_A-Za-z][_A-Za-z0-9]*)(?:(?P<op>:?[-?+])"
                       r"(?P<arg>[^}]*))?\}|(?P<named>[_A-Za-z][_A-Za-z0-9]*))")


class MissingVariable(ValueError):
    """A required variable (`${NAME?message}` or `${NAME:?message}`) is not set: compose stops here."""

    def __init__(self, name: str, message: str):
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


def interpolate(text: str, env: Mapping[str, str]) -> str:
    def one(m: re.Match) -> str:
        if m["escaped"]:
            return "$"
        name = m["braced"] or m["named"]
        op, arg = m["op"], m["arg"] or ""
        value = env.get(name)
        unset = value is None
        empty = unset or value == ""
        if op in ("?", ":?") and (unset if op == "?" else empty):
            raise MissingVariable(name, arg)
        if op in ("-", ":-") and (unset if op == "-" else empty):
            return arg
        if op in ("+", ":+"):
            return "" if (unset if op == "+" else empty) else arg
        return value or ""

    return _VARIABLE.sub(one, text)


def _strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    items = node.values() if isinstance(node, dict) else node if isinstance(node, list) else []
    return [s for item in items for s in _strings(item)]


def variables(path: Path) -> list[tuple[str, str | None, str]]:
    """Every (name, operator, argument) a compose file interpolates (YAML values; comments are not)."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [(m["braced"] or m["named"], m["op"], m["arg"] or "") for s in _strings(doc)
            for m in _VARIABLE.finditer(s) if not m["escaped"]]


def _interpolate_tree(node: Any, env: Mapping[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, dict):
        return {k: _interpolate_tree(v, env) for k, v in node.items()}
    if isinstance(node, list):
        return [_interpolate_tree(v, env) for v in node]
    return node


def _merge(base: Any, override: Any, key: str = "") -> Any:
    if key in ("command", "entrypoint") or not isinstance(base, type(override)):
        return override
    if isinstance(base, dict):
        out = dict(base)
        for k, v in override.items():
            out[k] = _merge(base[k], v, k) if k in base else v
        return out
    if isinstance(base, list):
        return base + [v for v in override if v not in base]
    return override


def read_env_file(path: Path) -> dict[str, str]:
    """A compose `--env-file`: NAME=value lines, # comments."""
    out: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            out[name.strip()] = value.strip()
    return out


def load(files: list[Path], env: Mapping[str, str]) -> dict[str, Any]:
    """The merged configuration of `files` (the first is the base), interpolated with `env`."""
    merged: dict[str, Any] = {}
    for path in files:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        doc = {k: v for k, v in doc.items() if not str(k).startswith("x-")}  # extension fields: anchors only
        merged = _merge(merged, _interpolate_tree(doc, env))
    return merged


def environment(service: Mapping[str, Any]) -> dict[str, str]:
    """A service's environment as the process sees it (mapping or NAME=value list; values as strings)."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.partition("=")[::2] for item in env)
    return {str(k): "" if v is None else str(v).lower() if isinstance(v, bool) else str(v) for k, v in env.items()}


def volume_mounts(service: Mapping[str, Any]) -> dict[str, str]:
    """Named volume → mount path inside the container (short syntax `name:/path[:mode]`)."""
    out: dict[str, str] = {}
    for item in service.get("volumes") or []:
        if isinstance(item, dict):
            out[item["source"]] = item["target"]
        else:
            source, target = item.split(":")[:2]
            out[source] = target
    return out


def command(service: Mapping[str, Any]) -> list[str]:
    cmd = service["command"]
    return list(cmd) if isinstance(cmd, list) else ["sh", "-c", cmd]
