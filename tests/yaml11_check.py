#!/usr/bin/env python3
"""Independent check of kiln's output: every YAML file reads back as the same values
under YAML 1.1 (PyYAML, what Kubernetes' sigs.k8s.io/yaml effectively uses) and YAML 1.2
(ruamel.yaml), holds only JSON types (no dates, no binary), and keeps the fields that
Kubernetes requires to be strings (labels, annotations, ConfigMap data) as strings.

Usage: yaml11_check.py DIR [DIR ...]    (exit 1 on any problem)
"""

import datetime
import pathlib
import sys

import yaml
from ruamel.yaml import YAML

YAML12 = YAML(typ="safe", pure=True)
YAML12.version = (1, 2)

JSON_TYPES = (dict, list, str, int, float, bool, type(None))


def walk(value, path="$"):
    """Yields (path, value) for every node."""
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from walk(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk(v, f"{path}[{i}]")


def problems_of(path):
    text = path.read_text(encoding="utf-8")
    v11 = yaml.safe_load(text)
    v12 = YAML12.load(text)
    if v11 != v12:
        yield f"YAML 1.1 and 1.2 read different values:\n  1.1: {v11!r}\n  1.2: {v12!r}"
    for where, node in walk(v11):
        if not isinstance(node, JSON_TYPES) or isinstance(node, (datetime.date, bytes)):
            yield f"{where} is a {type(node).__name__} in YAML 1.1, not a JSON value"
        if isinstance(node, dict):
            for k in node:
                if not isinstance(k, str):
                    yield f"{where} has the non-string key {k!r} in YAML 1.1"
    if not isinstance(v11, dict):
        return
    string_maps = [("metadata", "labels"), ("metadata", "annotations")]
    if v11.get("kind") == "ConfigMap":
        string_maps.append(("data",))
    for keys in string_maps:
        node = v11
        for k in keys:
            node = node.get(k) if isinstance(node, dict) else None
        for k, value in (node or {}).items():
            if not isinstance(value, str):
                yield f"{'.'.join(keys)}.{k} is {value!r} ({type(value).__name__}), not a string"


def main(dirs):
    files = problems = 0
    for d in dirs:
        for path in sorted(pathlib.Path(d).rglob("*.yaml")):
            files += 1
            for p in problems_of(path):
                problems += 1
                print(f"{path}: {p}")
    if files == 0:
        print("no yaml files found in " + ", ".join(dirs))
        return 1
    if problems:
        print(f"{problems} problems in {files} files")
        return 1
    print(f"ok: {files} files read the same under YAML 1.1 and YAML 1.2")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
