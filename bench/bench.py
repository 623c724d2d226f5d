#!/usr/bin/env python3
"""kiln's benchmark: synthetic workspaces of N tenants, timed side by side with the
floor (`cp -r` of the output) and, when `helm` is on PATH, with `helm template` of an
equivalent chart (bench/chart), in the same run.

    python3 bench/bench.py                        # N = 10, 100, 1000, 5000
    python3 bench/bench.py --sizes 100,1000 --runs 5 --json bench.json

Builds kiln in release mode first. Each figure is the median of --runs runs. Work
folders go to bench/.work/ (ignored by git). docs/performance.md explains the figures.
"""

import argparse
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import generate  # noqa: E402

KILN = ROOT / "target" / "release" / "kiln"


def run(cmd, cwd=None, stdout=subprocess.DEVNULL, check=True):
    """Runs a command; returns (seconds, peak RSS in MiB). Dirty pages left by the
    previous step are flushed first, so their writeback does not land in this one."""
    os.sync()
    start = time.perf_counter()
    # stderr goes to a file: a pipe that nobody reads until the end would stop the
    # command once it has written 64 KiB (warnings of a thousand tenants, say).
    with tempfile.TemporaryFile() as errfile:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=stdout, stderr=errfile)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        errfile.seek(0)
        err = errfile.read().decode(errors="replace")
    code = os.waitstatus_to_exitcode(status)
    if check and code != 0:
        raise SystemExit(f"{' '.join(map(str, cmd))} exited {code}:\n{err}")
    return elapsed, usage.ru_maxrss / 1024


class Trash:
    """Folders moved aside rather than deleted before a measurement, and deleted at the
    end: ext4 searches longer for free inodes for a few seconds after many files were
    deleted, which would make whatever runs next look slow."""

    def __init__(self, work):
        self.dir = work / "trash"
        self.dir.mkdir(exist_ok=True)
        self.n = sum(1 for _ in self.dir.iterdir())

    def move(self, path):
        if path.exists():
            self.n += 1
            while (self.dir / str(self.n)).exists():
                self.n += 1
            os.rename(path, self.dir / str(self.n))

    def empty(self):
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(exist_ok=True)


def median(values):
    return statistics.median(values) if values else None


def snapshot(out):
    """Every file of a tree with its inode and modification time."""
    files = {}
    for dirpath, _, names in os.walk(out):
        for n in names:
            p = os.path.join(dirpath, n)
            st = os.stat(p)
            files[os.path.relpath(p, out)] = (st.st_ino, st.st_mtime_ns)
    return files


def rewritten(before, after):
    return sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))


def git(ws, *args):
    subprocess.run(
        ["git", "-c", "init.defaultBranch=main", "-c", "user.name=bench",
         "-c", "user.email=bench@example.com", "-c", "commit.gpgsign=false", "-c", "gc.auto=0", *args],
        cwd=ws, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def bench_size(n, runs, helm, helm_per_tenant_max, work, trash):
    ws = work / f"n{n}"
    trash.move(ws)
    names = generate.generate(ws, n)
    out = ws / "out"
    kiln = [str(KILN), "-C", str(ws)]
    r = {"tenants": n}

    cold, peak = [], []
    for _ in range(runs):
        trash.move(out)
        (ws / ".out.kiln-cache").unlink(missing_ok=True)
        t, m = run(kiln + ["build"])
        cold.append(t)
        peak.append(m)
    r["cold"] = median(cold)
    r["peak_mib"] = max(peak)
    r["files"] = sum(1 for _ in out.rglob("*") if _.is_file())
    r["bytes"] = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())

    noop, noop_written = [], 0
    for _ in range(runs):
        before = snapshot(out)
        noop.append(run(kiln + ["build"])[0])
        noop_written = max(noop_written, len(rewritten(before, snapshot(out))))
    r["noop"] = median(noop)
    r["noop_files_written"] = noop_written

    r["check"] = median([run(kiln + ["check"])[0] for _ in range(runs)])

    # One tenant changes: a variable of trino's environment flips between two values
    # (in any environment, unlike `replicas`, which an autoscaler may decide).
    spec_path = ws / "tenants" / f"{names[0]}.yaml"
    original = json.loads(spec_path.read_text())

    def change(i):
        spec = json.loads(json.dumps(original))
        spec.setdefault("services", {}).setdefault("trino", {})["env"] = [
            {"name": "TRINO_QUERY_MAX_MEMORY", "value": f"{8 + i % 2}GB"}
        ]
        spec_path.write_text(json.dumps(spec, sort_keys=True) + "\n")

    one, one_written, outside = [], 0, []
    for i in range(runs):
        change(i)
        before = snapshot(out)
        one.append(run(kiln + ["build"])[0])
        changed = rewritten(before, snapshot(out))
        one_written = max(one_written, len(changed))
        outside += [p for p in changed if not p.startswith(f"tenants/{names[0]}/")]
    r["one_tenant"] = median(one)
    r["one_tenant_files_written"] = one_written
    r["one_tenant_files_outside_it"] = sorted(set(outside))

    # diff --base: the workspace in git, one tenant changed and not built.
    spec_path.write_text(json.dumps(original, sort_keys=True) + "\n")
    run(kiln + ["build"])
    if not (ws / ".git").exists():
        git(ws, "init", "-q")
    git(ws, "add", "-A")
    git(ws, "commit", "-q", "-m", "base", "--allow-empty")
    # Packed, as in a clone: CI diffs against a fetched base, not 70,000 loose objects.
    git(ws, "gc", "-q")
    change(0)
    r["diff"] = median([run(kiln + ["diff", "--base", "HEAD"])[0] for _ in range(runs)])
    spec_path.write_text(json.dumps(original, sort_keys=True) + "\n")

    copies = []
    for _ in range(runs):
        target = work / "copy"
        trash.move(target)
        copies.append(run(["cp", "-r", str(out), str(target)])[0])
    trash.move(work / "copy")
    r["cp"] = median(copies)

    if helm:
        chart = HERE / "chart"
        helm_out = work / "helm-out"
        times = []
        for _ in range(runs):
            trash.move(helm_out)
            times.append(run([helm, "template", "all", str(chart), "-f",
                              str(ws / "helm" / "all.yaml"), "--output-dir", str(helm_out)])[0])
        r["helm_all"] = median(times)
        if n <= helm_per_tenant_max:
            trash.move(helm_out)
            start = time.perf_counter()
            for name in names:
                run([helm, "template", name, str(chart), "-f", str(ws / "helm" / f"{name}.yaml"),
                     "--output-dir", str(helm_out / name)])
            r["helm_per_tenant"] = time.perf_counter() - start
        trash.move(helm_out)
    return r


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def fmt(v, unit="s"):
    if v is None:
        return "-"
    if unit == "s":
        return f"{v:.2f}s" if v < 100 else f"{v:.0f}s"
    if unit == "x":
        return f"{v:.3f}" if v < 0.1 else f"{v:.2f}"
    return f"{v:.0f}"


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="10,100,1000,5000")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--json", help="also write the results to this file")
    p.add_argument("--helm", default=shutil.which("helm") or (
        str(ROOT / "target/tools/helm") if (ROOT / "target/tools/helm").exists() else None))
    p.add_argument("--helm-per-tenant-max", type=int, default=1000,
                   help="largest N rendered with one helm process per tenant")
    p.add_argument("--no-build", action="store_true", help="use target/release/kiln as it is")
    a = p.parse_args()
    if not a.no_build:
        subprocess.run(["cargo", "build", "--release", "--locked", "--quiet"], cwd=ROOT, check=True)
    work = HERE / ".work"
    work.mkdir(exist_ok=True)
    # What earlier runs left is deleted at the end, after every measurement.
    trash = Trash(work)
    for old in work.iterdir():
        if old.name != "trash":
            trash.move(old)
    sizes = [int(s) for s in a.sizes.split(",")]
    results = []
    for n in sizes:
        print(f"N = {n} …", file=sys.stderr, flush=True)
        results.append(bench_size(n, a.runs, a.helm, a.helm_per_tenant_max, work, trash))
    trash.empty()
    by_n = {r["tenants"]: r for r in results}
    for r in results:
        r["cold_vs_cp"] = ratio(r["cold"], r["cp"])
        r["noop_vs_cold"] = ratio(r["noop"], r["cold"])
        r["one_tenant_vs_cold"] = ratio(r["one_tenant"], r["cold"])
        r["diff_vs_cold"] = ratio(r["diff"], r["cold"])
        r["cold_vs_helm_all"] = ratio(r["cold"], r.get("helm_all"))
        r["cold_vs_helm_per_tenant"] = ratio(r["cold"], r.get("helm_per_tenant"))
    scaling = None
    if 1000 in by_n and 5000 in by_n:
        scaling = ratio(by_n[5000]["cold"], by_n[1000]["cold"])
    header = ["N", "files", "cold", "no-op", "1 tenant", "check", "diff", "cp -r",
              "helm all", "helm/tenant", "peak MiB", "cold/cp", "no-op/cold",
              "1 tenant/cold", "diff/cold", "cold/helm all", "cold/helm per tenant"]
    rows = []
    for r in results:
        rows.append([str(r["tenants"]), str(r["files"]), fmt(r["cold"]), fmt(r["noop"]),
                     fmt(r["one_tenant"]), fmt(r["check"]), fmt(r["diff"]), fmt(r["cp"]),
                     fmt(r.get("helm_all")), fmt(r.get("helm_per_tenant")),
                     fmt(r["peak_mib"], ""), fmt(r["cold_vs_cp"], "x"),
                     fmt(r["noop_vs_cold"], "x"), fmt(r["one_tenant_vs_cold"], "x"),
                     fmt(r["diff_vs_cold"], "x"), fmt(r["cold_vs_helm_all"], "x"),
                     fmt(r["cold_vs_helm_per_tenant"], "x")])
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]
    print("  ".join(h.rjust(w) for h, w in zip(header, widths)))
    for row in rows:
        print("  ".join(c.rjust(w) for c, w in zip(row, widths)))
    for r in results:
        notes = []
        if r["noop_files_written"]:
            notes.append(f"no-op rebuild wrote {r['noop_files_written']} files")
        if r["one_tenant_files_outside_it"]:
            notes.append(f"one-tenant rebuild wrote outside the tenant: {r['one_tenant_files_outside_it'][:5]}")
        if notes:
            print(f"N = {r['tenants']}: " + "; ".join(notes))
    if scaling is not None:
        print(f"cold build t(5000)/t(1000) = {scaling:.2f}")
    print(f"machine: {os.cpu_count()} cores; runs per figure: {a.runs} (median)")
    if a.json:
        pathlib.Path(a.json).write_text(json.dumps(
            {"runs": a.runs, "cores": os.cpu_count(), "scaling_5000_1000": scaling,
             "results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
