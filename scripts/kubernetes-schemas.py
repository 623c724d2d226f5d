#!/usr/bin/env python3
"""Generates kiln's compact Kubernetes schemas, one file per Kubernetes minor version,
from the strict JSON Schemas bundled in the `kubernetes-validate` package on PyPI.

Each output file, `schemas/kubernetes/v<minor>.json`, holds a JSON Schema (draft
2020-12) whose `$defs` are exactly the definitions that the kinds kiln can emit reach,
without descriptions, and a `kinds` map from `apiVersion kind` to the definition of the
kind. kiln embeds these files and validates every object it emits against them.

Usage:
    pip install kubernetes-validate==1.37.0
    python3 scripts/kubernetes-schemas.py            # writes schemas/kubernetes/
    python3 scripts/kubernetes-schemas.py --check    # exit 1 if the files differ

To add a Kubernetes version, add it to VERSIONS (the pinned package must bundle it;
raise PIN when it does not), run the script and commit the new file.
"""

import json
import pathlib
import re
import sys

PIN = "1.37.0"
VERSIONS = ["1.29", "1.30", "1.31", "1.32", "1.33"]

# Every built-in kind kiln's templates may emit, as (apiVersion, kind).
KINDS = [
    ("v1", "ConfigMap"),
    ("v1", "LimitRange"),
    ("v1", "Namespace"),
    ("v1", "PersistentVolumeClaim"),
    ("v1", "ResourceQuota"),
    ("v1", "Secret"),
    ("v1", "Service"),
    ("v1", "ServiceAccount"),
    ("apps/v1", "DaemonSet"),
    ("apps/v1", "Deployment"),
    ("apps/v1", "StatefulSet"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"),
    ("batch/v1", "CronJob"),
    ("batch/v1", "Job"),
    ("networking.k8s.io/v1", "Ingress"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
    ("policy/v1", "PodDisruptionBudget"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    ("rbac.authorization.k8s.io/v1", "Role"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("scheduling.k8s.io/v1", "PriorityClass"),
]

REF_PREFIX = "/api/_definitions.json#/$defs/"
OUT = pathlib.Path(__file__).resolve().parent.parent / "schemas" / "kubernetes"


def package_dir():
    try:
        import kubernetes_validate
        from kubernetes_validate.version import __version__
    except ImportError:
        sys.exit(f"install the pinned source first: pip install kubernetes-validate=={PIN}")
    if __version__ != PIN:
        sys.exit(f"kubernetes-validate {__version__} is installed; this script is pinned to {PIN}")
    return pathlib.Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"


def file_name(api_version, kind):
    # As kubernetes-validate names them: rbac.authorization.k8s.io/v1 -> rbac-v1.
    api = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    return f"{kind.lower()}-{api}.json"


def strip(node):
    """Drops descriptions and rewrites references to point into the same document."""
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "description" and isinstance(v, str):
                continue
            if k in ("$id", "$schema"):
                # Each kind's file is its own document upstream; here they share one.
                continue
            if k == "$ref" and isinstance(v, str) and v.startswith(REF_PREFIX):
                out[k] = "#/$defs/" + v[len(REF_PREFIX):]
            else:
                out[k] = strip(v)
        return out
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def refs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str) and v.startswith("#/$defs/"):
                yield v[len("#/$defs/"):]
            else:
                yield from refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from refs(v)


def generate(version):
    folder = package_dir() / f"v{version}.0-local-strict"
    if not folder.is_dir():
        sys.exit(f"kubernetes-validate {PIN} has no schemas for Kubernetes {version}")
    definitions = json.loads((folder / "_definitions.json").read_text())["$defs"]
    defs, kinds, todo = {}, {}, []
    for api_version, kind in KINDS:
        root = strip(json.loads((folder / file_name(api_version, kind)).read_text()))
        name = f"kiln.root.{api_version.replace('/', '.')}.{kind}"
        defs[name] = root
        kinds[f"{api_version} {kind}"] = {"$ref": f"#/$defs/{name}"}
        todo.extend(refs(root))
    while todo:
        name = todo.pop()
        if name in defs:
            continue
        defs[name] = strip(definitions[name])
        todo.extend(refs(defs[name]))
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://kiln.dev/schemas/kubernetes/v{version}.json",
        "title": f"Kubernetes {version} objects kiln can emit (strict), from kubernetes-validate {PIN}",
        "kinds": dict(sorted(kinds.items())),
        "$defs": dict(sorted(defs.items())),
    }


def main(args):
    check = "--check" in args
    OUT.mkdir(parents=True, exist_ok=True)
    stale = []
    for version in VERSIONS:
        text = json.dumps(generate(version), indent=1, sort_keys=False) + "\n"
        path = OUT / f"v{version}.json"
        if check:
            if not path.exists() or path.read_text() != text:
                stale.append(path.name)
        else:
            path.write_text(text)
            print(f"wrote {path.relative_to(OUT.parent.parent)} ({len(text) // 1024} KiB)")
    if check:
        if stale:
            print("out of date: " + ", ".join(stale) + "; run scripts/kubernetes-schemas.py")
            return 1
        print(f"ok: the Kubernetes schemas match kubernetes-validate {PIN}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
