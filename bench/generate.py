#!/usr/bin/env python3
"""Generates a synthetic kiln workspace of N tenants over the root workspace's catalog,
plus the same tenants as Helm values for the equivalent chart in bench/chart.

Deterministic: the same N and seed give the same files.

    python3 bench/generate.py DIR N [--seed S]

DIR gets kiln.yaml (the root workspace's), tenants/<name>.yaml, blueprints/ (the root
workspace's four pipelines, the tenant-owned one moved to the first tenant), and
helm/<name>.yaml (one tenant) and helm/all.yaml (every tenant) for `helm template`.
The workspace has no templates/, so kiln uses its embedded ones: the root workspace's.
"""

import argparse
import json
import pathlib
import random
import shutil

ROOT = pathlib.Path(__file__).resolve().parent.parent


def tenant_spec(rng, name):
    """A realistic mix: environments, optional services, ingress, per-service overrides."""
    env = rng.choices(["dev", "staging", "prod"], weights=[2, 1, 1])[0]
    flags = {}
    if rng.random() < 0.3:
        flags["dataQuality"] = False
    if rng.random() < 0.2:
        flags["aiTextToSql"] = True
    if rng.random() < 0.15:
        flags["mlServing"] = True
    if rng.random() < 0.3:
        flags["renderer"] = False
    if rng.random() < 0.3:
        flags["ontology"] = True
        if rng.random() < 0.5:
            flags["governance"] = True
    spec = {"environment": env}
    if flags:
        spec["flags"] = flags
    if rng.random() < 0.7:
        spec["ingress"] = {"host": f"{name}.{env}.data.example.com"}
    else:
        spec["ingress"] = {"enabled": False}
    services = {}
    trino = {}
    # In prod the autoscalers of trino and superset decide their replicas, and kiln
    # warns that a tenant's `replicas` has no effect there: the synthetic tenants set it
    # only where it counts.
    if rng.random() < 0.6 and env != "prod":
        trino["replicas"] = rng.randint(1, 4)
    if rng.random() < 0.3:
        cpu = rng.choice([1, 2, 4])
        trino["resources"] = {
            "requests": {"cpu": f"{cpu * 500}m", "memory": f"{cpu * 2}Gi"},
            "limits": {"cpu": str(cpu), "memory": f"{cpu * 4}Gi"},
        }
    if rng.random() < 0.3:
        trino["env"] = [
            {"name": "TRINO_QUERY_MAX_MEMORY", "value": f"{rng.choice([8, 16, 32])}GB"}
        ]
    if trino:
        services["trino"] = trino
    if rng.random() < 0.3 and env != "prod":
        services["superset"] = {"replicas": rng.randint(1, 3)}
    if services:
        spec["services"] = services
    return spec


def tenant_names(n):
    return [f"t{i:05d}" for i in range(1, n + 1)]


def generate(out, n, seed=1):
    out = pathlib.Path(out)
    if out.exists():
        shutil.rmtree(out)
    (out / "tenants").mkdir(parents=True)
    (out / "helm").mkdir()
    shutil.copy(ROOT / "kiln.yaml", out / "kiln.yaml")
    # As in any workspace kept in git: kiln's cache and staging folder stay out of it.
    (out / ".gitignore").write_text(".*.kiln-*\n")
    shutil.copytree(ROOT / "blueprints", out / "blueprints")
    names = tenant_names(n)
    # The tenant-owned pipeline belongs to the first tenant.
    owned = out / "blueprints" / "sudoku-stream" / "pipeline.yaml"
    owned.write_text(owned.read_text().replace("tenant: acme", f"tenant: {names[0]}"))
    rng = random.Random(seed)
    everyone = []
    for name in names:
        spec = tenant_spec(rng, name)
        # JSON is YAML: one line, no quoting questions.
        (out / "tenants" / f"{name}.yaml").write_text(json.dumps(spec, sort_keys=True) + "\n")
        entry = {"name": name, **spec}
        (out / "helm" / f"{name}.yaml").write_text(json.dumps({"tenants": [entry]}) + "\n")
        everyone.append(entry)
    (out / "helm" / "all.yaml").write_text(json.dumps({"tenants": everyone}) + "\n")
    return names


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("dir")
    p.add_argument("n", type=int)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    names = generate(a.dir, a.n, a.seed)
    print(f"wrote {len(names)} tenants to {a.dir}")


if __name__ == "__main__":
    main()
