#!/usr/bin/env python3
"""Checks that bench/chart renders what kiln renders, tenant by tenant.

    python3 bench/check_chart.py                 # the three checks below
    python3 bench/check_chart.py --scale 0       # skip the N-tenant check
    python3 bench/check_chart.py --verbose       # list every differing path

1. subset: the root tenants (acme, globex, initech) written in the benchmark's subset
   of the tenant spec (environment, flags, ingress, services.trino.{replicas,
   resources, env}, services.superset.replicas) in a scratch kiln workspace (the root
   kiln.yaml, embedded templates). kiln builds it; `helm template` renders each tenant
   alone (one values file per tenant) and all three at once. For each tenant the sets
   of (apiVersion, kind, namespace, name) must be equal, and the content of each object
   is compared; the differing paths are reported.
2. root: the root tenants with their full specs (extraNamespaces, quota, credentials,
   overrides, services.*.config/autoscaling/image…), same comparison. Informative: the
   chart handles these keys too.
3. scale: N generated tenants (bench/generate.py, seed 1): one `helm template` over
   all of them, timed, and compared object by object with kiln's build.

Objects of pipelines (label kiln.dev/pipeline) and Argo CD objects (out/argocd) are not
part of the comparison. Exit status 1 when an object set differs.
"""

import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict

try:
    import yaml
except ImportError:
    sys.exit("PyYAML is required: pip install pyyaml")

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
CHART = HERE / "chart"
KILN = ROOT / "target" / "release" / "kiln"

# The root tenants in the benchmark's subset of the tenant spec.
SUBSET_TENANTS = {
    "acme": {
        "environment": "prod",
        "flags": {"aiTextToSql": True, "mlServing": True},
        "ingress": {"host": "acme.data.example.com"},
        "services": {
            "trino": {
                "replicas": 3,
                "env": [{"name": "TRINO_QUERY_MAX_MEMORY", "value": "64GB"}],
            },
            "superset": {"replicas": 2},
        },
    },
    "globex": {
        "environment": "staging",
        "flags": {"ontology": True, "governance": True, "renderer": False},
        "ingress": {"host": "globex.staging.data.example.com"},
        "services": {"superset": {"replicas": 3}},
    },
    "initech": {
        "environment": "dev",
        "flags": {"dataQuality": False},
        "ingress": {"enabled": False},
        "services": {
            "trino": {
                "resources": {
                    "requests": {"cpu": "500m", "memory": "2Gi"},
                    "limits": {"cpu": "1", "memory": "4Gi"},
                },
                "env": [{"name": "JAVA_TOOL_OPTIONS", "value": "-Xmx2g"}],
            }
        },
    },
}


def find_helm():
    local = ROOT / "target" / "tools" / "helm"
    if local.exists():
        return str(local)
    found = shutil.which("helm")
    if not found:
        sys.exit("helm not found (expected target/tools/helm or helm on PATH)")
    return found


def ensure_kiln():
    if not KILN.exists():
        subprocess.run(["cargo", "build", "--release"], cwd=ROOT, check=True)


def key(obj):
    md = obj.get("metadata") or {}
    return (obj.get("apiVersion"), obj.get("kind"), md.get("namespace"), md.get("name"))


def fmt_key(k):
    api, kind, ns, name = k
    return f"{kind} {ns + '/' if ns else ''}{name} ({api})"


def is_pipeline(obj):
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return "kiln.dev/pipeline" in labels


def kiln_build(ws):
    start = time.perf_counter()
    r = subprocess.run([str(KILN), "-C", str(ws), "build"], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if r.returncode != 0:
        sys.exit(f"kiln build failed:\n{r.stdout}{r.stderr}")
    return elapsed


def kiln_objects(out):
    """Objects of kiln's output by tenant ('' for the cluster ones), pipelines left out."""
    by_tenant = defaultdict(dict)
    for folder, tenant_of in ((out / "tenants", lambda p: p.relative_to(out / "tenants").parts[0]),
                              (out / "cluster", lambda p: "")):
        if not folder.exists():
            continue
        for path in sorted(folder.rglob("*.yaml")):
            obj = yaml.load(path.read_text(), Loader=Loader)
            if is_pipeline(obj):
                continue
            by_tenant[tenant_of(path)][key(obj)] = obj
    return by_tenant


def helm_render(helm, values, release="check"):
    start = time.perf_counter()
    r = subprocess.run([helm, "template", release, str(CHART), "-f", str(values)],
                       capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if r.returncode != 0:
        sys.exit(f"helm template failed:\n{r.stderr}")
    return r.stdout, elapsed


def helm_objects(text):
    """Objects of helm's output by tenant (label kiln.dev/tenant; '' for the cluster ones)."""
    by_tenant = defaultdict(dict)
    duplicates = []
    for obj in yaml.load_all(text, Loader=Loader):
        if not obj:
            continue
        tenant = ((obj.get("metadata") or {}).get("labels") or {}).get("kiln.dev/tenant", "")
        k = key(obj)
        if k in by_tenant[tenant]:
            duplicates.append(k)
        by_tenant[tenant][k] = obj
    if duplicates:
        print(f"  helm rendered {len(duplicates)} objects twice, e.g. {fmt_key(duplicates[0])}")
    return by_tenant


def diff_paths(a, b, path=""):
    """The paths where two parsed objects differ (lists compared item by item)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b), key=str):
            p = f"{path}.{k}" if path else str(k)
            if k not in a:
                out.append(p + " (only helm)")
            elif k not in b:
                out.append(p + " (only kiln)")
            else:
                out.extend(diff_paths(a[k], b[k], p))
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        out = []
        for i, (x, y) in enumerate(zip(a, b)):
            out.extend(diff_paths(x, y, f"{path}[{i}]"))
        return out
    if a == b and type(a) is type(b):
        return []
    return [path or "(root)"]


def compare(kiln_by_tenant, helm_by_tenant, tenants, verbose, label):
    """Prints the comparison; returns (sets equal, objects compared, objects differing)."""
    ok = True
    compared = differing = 0
    path_counts = Counter()
    for tenant in tenants + [""]:
        k_objs = kiln_by_tenant.get(tenant, {})
        h_objs = helm_by_tenant.get(tenant, {})
        only_kiln = sorted(set(k_objs) - set(h_objs), key=str)
        only_helm = sorted(set(h_objs) - set(k_objs), key=str)
        common = sorted(set(k_objs) & set(h_objs), key=str)
        diffs = {}
        for k in common:
            d = diff_paths(k_objs[k], h_objs[k])
            if d:
                diffs[k] = d
                path_counts.update(d)
        compared += len(common)
        differing += len(diffs)
        name = tenant or "(cluster)"
        equal = not only_kiln and not only_helm
        ok &= equal
        if len(tenants) <= 10 or not equal or diffs:
            print(f"  {name}: kiln {len(k_objs)} objects, helm {len(h_objs)}; "
                  f"object sets {'EQUAL' if equal else 'DIFFER'}; "
                  f"{len(diffs)} of {len(common)} differ in content")
        for k in only_kiln:
            print(f"    only kiln: {fmt_key(k)}")
        for k in only_helm:
            print(f"    only helm: {fmt_key(k)}")
        if verbose or len(tenants) <= 10:
            for k, d in diffs.items():
                shown = d if verbose else d[:4]
                more = f" (+{len(d) - len(shown)} more)" if len(d) > len(shown) else ""
                print(f"    differs: {fmt_key(k)}: {', '.join(shown)}{more}")
    print(f"  {label}: {'every object set EQUAL' if ok else 'object sets DIFFER'}; "
          f"{differing} of {compared} common objects differ in content")
    if path_counts:
        print("  differing paths, by number of objects:")
        for p, n in path_counts.most_common(15):
            print(f"    {n:6d}  {p}")
    return ok, compared, differing


def write_values(path, tenants):
    entries = [{"name": name, **spec} for name, spec in tenants.items()]
    path.write_text(json.dumps({"tenants": entries}) + "\n")


def workspace(dir, tenants):
    (dir / "tenants").mkdir(parents=True)
    shutil.copy(ROOT / "kiln.yaml", dir / "kiln.yaml")
    for name, spec in tenants.items():
        (dir / "tenants" / f"{name}.yaml").write_text(json.dumps(spec, sort_keys=True) + "\n")


def check_subset(helm, tmp, verbose):
    print("== subset: the root tenants in the benchmark's spec subset")
    ws = tmp / "subset"
    workspace(ws, SUBSET_TENANTS)
    kiln_build(ws)
    kiln_by_tenant = kiln_objects(ws / "out")
    ok = True
    # One helm process per tenant, as the per-tenant benchmark runs it.
    per_tenant = defaultdict(dict)
    for name, spec in SUBSET_TENANTS.items():
        values = tmp / f"subset-{name}.yaml"
        write_values(values, {name: spec})
        text, _ = helm_render(helm, values)
        for t, objs in helm_objects(text).items():
            per_tenant[t].update(objs)
    print(" one helm template per tenant:")
    ok &= compare(kiln_by_tenant, per_tenant, list(SUBSET_TENANTS), verbose, "per tenant")[0]
    values = tmp / "subset-all.yaml"
    write_values(values, SUBSET_TENANTS)
    text, _ = helm_render(helm, values)
    together = helm_objects(text)
    same = {t: together.get(t, {}) for t in per_tenant} == dict(per_tenant) and \
        set(together) <= set(per_tenant)
    print(f" one helm template for all three: {'same objects and content as per tenant' if same else 'DIFFERENT from per tenant'}")
    ok &= same
    return ok


def check_root(helm, tmp, verbose):
    print("== root: the root tenants with their full specs")
    specs = {}
    for path in sorted((ROOT / "tenants").glob("*.yaml")):
        specs[path.stem] = yaml.load(path.read_text(), Loader=Loader) or {}
    ws = tmp / "root"
    workspace(ws, specs)
    kiln_build(ws)
    values = tmp / "root-all.yaml"
    write_values(values, specs)
    text, _ = helm_render(helm, values)
    return compare(kiln_objects(ws / "out"), helm_objects(text), list(specs), verbose, "root")[0]


def check_scale(helm, tmp, n, verbose):
    print(f"== scale: {n} generated tenants (bench/generate.py, seed 1)")
    sys.path.insert(0, str(HERE))
    import generate  # noqa: E402

    ws = tmp / f"n{n}"
    names = generate.generate(ws, n)
    kiln_s = kiln_build(ws)
    text, helm_s = helm_render(helm, ws / "helm" / "all.yaml", release="all")
    size_mb = len(text.encode()) / 1e6
    helm_by_tenant = helm_objects(text)
    count = sum(len(v) for v in helm_by_tenant.values())
    print(f"  helm template (one process, {n} tenants): {helm_s:.2f} s, "
          f"{count} objects, {size_mb:.1f} MB of YAML")
    print(f"  kiln build (same workspace, cold, includes pipelines and Argo CD): {kiln_s:.2f} s")
    return compare(kiln_objects(ws / "out"), helm_by_tenant, names, verbose, f"{n} tenants")[0]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scale", type=int, default=1000,
                   help="number of generated tenants for the scale check (0 skips it)")
    p.add_argument("--no-root", action="store_true", help="skip the full-spec root check")
    p.add_argument("--verbose", action="store_true", help="list every differing path")
    p.add_argument("--keep", action="store_true", help="keep the scratch folder")
    a = p.parse_args()

    ensure_kiln()
    helm = find_helm()
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="check-chart-"))
    try:
        ok = check_subset(helm, tmp, a.verbose)
        if not a.no_root:
            ok &= check_root(helm, tmp, a.verbose)
        if a.scale > 0:
            ok &= check_scale(helm, tmp, a.scale, a.verbose)
    finally:
        if a.keep:
            print(f"scratch folder kept: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print("OK: object sets equal" if ok else "FAILED: object sets differ")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
