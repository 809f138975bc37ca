#!/usr/bin/env python3
"""plot.py - render bench/REPORT.md and its PNG plots from the CSV files bench/run-all wrote.

    python3 bench/plot.py --results bench/results --report bench/REPORT.md

Every figure in the report is read from a CSV file of the run; the only constants here are the
targets of issue 5 (which the report compares against). Without python3-matplotlib the report
has its tables and a note instead of the plots. A missing CSV (a section that failed) leaves its
section out, with a note.
"""
import argparse
import csv
import math
import os
import sys

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    HAVE_MPL = True
except ImportError:  # the tables still render
    HAVE_MPL = False

# Issue 5's targets: (what, threshold). Only these numbers are constants.
TARGET_RATIO_VS_REDIS_AOF = 1.0   # hot set GET/SET at least Redis 7 AOF everysec
# Issue 18 (the write path), on the medians of bench/vs-redis: (test, -P, fsync) -> ratio
TARGETS_PAIRED = {("set", "1", "everysec"): 1.0, ("set", "16", "everysec"): 0.8,
                  ("get", "1", "everysec"): 1.0, ("get", "16", "everysec"): 1.0,
                  ("set", "1", "always"): 1.0}
TARGET_STORE_VS_SQLITE = 10.0     # in-process GET at 10M keys at least 10x SQLite's
TARGET_STORE_CACHED_US = 1.0      # ... and at most 1 us when cached
TARGET_RESTART_S = 10.0           # restart at 10M keys
TARGET_SCAN_KEYS_S = 1e6          # SCAN of all keys, COUNT 1000, over loopback
TARGET_KEYS = 10_000_000          # the size the store/restart targets are stated at
# Issue 25 (at scale): a start at 10M keys, and RSS per 16-byte key after it (values
# uncached); a start at 100M keys (bench/scale-run, --full).
TARGET_RESTART_10M_S = 3.0
TARGET_RSS_BPK = 64.0
TARGET_RESTART_100M_S = 30.0
# Issue 20 (hashes and sets), on the medians of bench/vs-redis: each test's ratio against
# Redis at least that of the string test named here, same -P and appendfsync.
TARGETS_COLL_VS = {"hset": "set", "sadd": "set", "hget": "get"}
TARGET_COLL_SIZE = 10_000_000     # coll-large's figures are asked at 10M elements
TARGET_DEL_MS = 10.0              # DEL of a large collection is O(1): milliseconds
# Issue 21 (lists and sorted sets): every test of redis-benchmark's default list at least
# this ratio against Redis AOF everysec (the LRANGE_* tests the second), on paired medians;
# ZRANK and ZRANGE by rank p99 on a 10M-member sorted set once its rank index is built.
TARGET_DEFAULT_LIST_RATIO = 0.8
TARGET_LRANGE_RATIO = 0.5
TARGET_RANK_P99_US = 1000.0
TARGET_ZL_SIZE = 10_000_000
# Issue 22 (bitmaps, HyperLogLogs, large strings) states what to measure, not thresholds:
# its figures go in the targets table with no verdict, at the sizes it names.
TARGET_BITMAP_MB = 512
TARGET_GET_MB = 100


def read_csv(results, name):
    path = os.path.join(results, name)
    if not os.path.exists(path):
        return None
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def fnum(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return math.nan


def fmt_int(v):
    return "-" if math.isnan(v) else f"{v:,.0f}"


def fmt(v, nd=1):
    return "-" if math.isnan(v) else f"{v:,.{nd}f}"


def fmt_ratio(v):
    return "-" if math.isnan(v) or math.isinf(v) else f"{v:.2f}x"


def fmt_keys(n):
    n = int(n)
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000}K"
    return str(n)


def div(a, b):
    return a / b if b and not math.isnan(a) and not math.isnan(b) else math.nan


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for r in rows:
        out.append("| " + " | ".join(str(c) for c in r) + " |")
    return "\n".join(out) + "\n"


def verdict(ok):
    if ok is None:
        return "n/a"
    return "**met**" if ok else "**not met**"


class Report:
    def __init__(self, results, report):
        self.results = results
        self.report = report
        self.rel = os.path.relpath(results, os.path.dirname(os.path.abspath(report)))
        self.parts = []
        self.targets = []  # rows of the targets table
        self.meta = {}
        rows = read_csv(results, "meta.csv") or []
        for r in rows:
            self.meta[r["key"]] = r["value"]

    def add(self, text):
        self.parts.append(text)

    def plot(self, fig, name, alt):
        path = os.path.join(self.results, name)
        fig.tight_layout()
        fig.savefig(path, dpi=90)
        plt.close(fig)
        self.add(f"![{alt}]({self.rel}/{name})\n")

    def omk_defaults(self):
        b = fnum(self.meta.get("omk_cache_budget"))
        budget = "?" if math.isnan(b) else f"{b / 2**20:,.0f} MiB"
        return (f"`appendfsync everysec`; value cache budget {budget}, the share of RAM that "
                f"`maxmemory 0` gives, as INFO reports it")

    def target(self, what, measured, ok, note=""):
        self.targets.append((what, measured, verdict(ok), note))

    # ---- sections -------------------------------------------------------------------

    def header(self):
        m = self.meta
        self.add("# omenkv benchmark report\n")
        self.add(
            "Written by `bench/run-all` "
            + ("`--full`" if m.get("mode") == "full" else
               "`--quick` (figures meaningless: a check of the script)"
               if m.get("mode") == "quick" else "(default mode, 1M keys at most)")
            + " and `bench/plot.py`; every figure below comes from the CSV files in "
            + f"`{self.rel}/` of that one run"
            + (", or of the later runs of single sections listed after the table.\n"
               if any(k.startswith("rerun:") for k in m) else ".\n"))
        rows = [
            ("date", m.get("date", "?")),
            ("machine", f"{m.get('nproc', '?')} cores ({m.get('cpu', '?')}), "
                        f"{m.get('ram', '?')} RAM, {m.get('kernel', '?')}"),
            ("load average at start / end", f"{m.get('loadavg_start', '?')} / "
                                            f"{m.get('loadavg_end', '?')}"),
            ("run time", f"{fnum(m.get('run_s')) / 60:.1f} min" if "run_s" in m else "?"),
            ("omenkv commit", m.get("commit", "?")),
            ("Redis", m.get("redis", "?")),
            ("RocksDB (librocksdb-dev)", m.get("rocksdb", "?")),
            ("SQLite (libsqlite3-dev)", m.get("sqlite", "?")),
        ]
        self.add(table(["", ""], rows))
        reruns = [(k.split(":", 1)[1], v) for k, v in m.items() if k.startswith("rerun:")]
        if reruns:
            self.add("These sections were measured again later (`run-all --sections`), on top "
                     "of the run above; their figures below come from that later run:\n")
            self.add(table(["section", "measured again"], reruns))
        self.add(
            "Clients and servers share the machine's cores, so the load generators take CPU "
            "from the servers they measure (the same for every server measured).\n")
        failed = [k.split(":", 1)[1] for k in m if k.startswith("failed:")]
        if failed:
            self.add("**Sections that failed in this run** (see `results/run-all.log`): "
                     + ", ".join(failed) + "\n")

    def redis_benchmark(self):
        rows = read_csv(self.results, "redis_benchmark.csv")
        self.add("## omenkv vs Redis 7 (redis-benchmark)\n")
        if not rows:
            self.add("_No data: the section did not run or failed._\n")
            return
        r0 = rows[0]
        self.add(
            f"`redis-benchmark -c {r0['clients']} -d {r0['value_size']} -r {r0['keyspace']} "
            f"-t get|set [-P 16]`, one run per line, against servers started for it: omenkv "
            f"with its defaults ({self.omk_defaults()}), "
            f"Redis with `--appendonly yes --appendfsync everysec --save ''` "
            f"(redis-aof) and with `--save '' --appendonly no` (redis-nopersist). Before the "
            f"tests every key of the {fmt_keys(r0['keyspace'])}-key hot set is written, so "
            f"every GET hits.\n")
        by = {(r["server"], r["test"].lower(), r["pipeline"]): r for r in rows}
        servers = [s for s in ("omenkv", "redis-aof", "redis-nopersist")
                   if any(k[0] == s for k in by)]
        out = []
        for p in ("1", "16"):
            for t in ("get", "set"):
                om = by.get(("omenkv", t, p))
                if not om:
                    continue
                line = [t.upper(), p]
                for s in servers:
                    r = by.get((s, t, p))
                    line.append(fmt_int(fnum(r["rps"])) if r else "-")
                for s in servers[1:]:
                    r = by.get((s, t, p))
                    line.append(fmt_ratio(div(fnum(om["rps"]), fnum(r["rps"]))) if r else "-")
                line.append(f"{om['p50_ms']} / {om['p99_ms']}")
                line.append(om.get("cache_hit_ratio", "n/a"))
                out.append(line)
                aof = by.get(("redis-aof", t, p))
                if aof:
                    ratio = div(fnum(om["rps"]), fnum(aof["rps"]))
                    self.target(f"hot set {t.upper()} {'-P 16' if p == '16' else 'unpipelined'}"
                                f", omenkv / Redis AOF everysec, >= "
                                f"{TARGET_RATIO_VS_REDIS_AOF:g}", f"{ratio:.3f}x",
                                ratio >= TARGET_RATIO_VS_REDIS_AOF)
        header = (["test", "-P"] + [f"{s} req/s" for s in servers]
                  + [f"omenkv / {s}" for s in servers[1:]]
                  + ["omenkv p50 / p99 ms", "omenkv cache hit ratio"])
        self.add(table(header, out))
        if HAVE_MPL:
            fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
            for ax, p in zip(axes, ("1", "16")):
                tests = ["get", "set"]
                w = 0.8 / max(1, len(servers))
                for i, s in enumerate(servers):
                    vals = [fnum(by[(s, t, p)]["rps"]) if (s, t, p) in by else 0 for t in tests]
                    ax.bar([x + i * w for x in range(len(tests))], vals, w, label=s)
                ax.set_xticks([x + w * (len(servers) - 1) / 2 for x in range(len(tests))])
                ax.set_xticklabels([t.upper() for t in tests])
                ax.set_title("unpipelined" if p == "1" else "-P 16")
                ax.set_ylabel("requests/s")
                ax.legend(fontsize=8)
            self.plot(fig, "redis_benchmark.png", "omenkv vs Redis, redis-benchmark")

    def vs_redis(self):
        rows = read_csv(self.results, "vs_redis.csv")
        self.add("## omenkv vs Redis 7, paired medians (bench/vs-redis)\n")
        if not rows:
            self.add("_No data: the section did not run or failed._\n")
            return
        self.add("`bench/vs-redis`: omenkv with its defaults and Redis with `--appendonly yes` "
                 "and the same `appendfsync`, each loaded with the 100k-key hot set, then "
                 "`redis-benchmark -c 50 -d 64 -r 100000 -t set|get` run against each in turn "
                 "(omenkv, Redis, omenkv, ...) for the rounds given; the ratio is median over "
                 "median, and every single run is listed. HSET, SADD and SPOP are "
                 "redis-benchmark's own tests (`-t hset|sadd|spop`: random fields and members "
                 "of one growing hash `myhash` and set `myset`; before the SPOP rounds `myset` "
                 "is filled so that no round empties it); HGET is `HGET h:__rand_int__ f1` over "
                 "100k hashes of 4 fields with 64-byte values, written to both servers first.\n")
        out = []
        ratios = {(r["test"], r["pipeline"], r["fsync"]): fnum(r["ratio"]) for r in rows}
        for r in rows:
            ratio = fnum(r["ratio"])
            base = TARGETS_COLL_VS.get(r["test"])
            want = ratios.get((base, r["pipeline"], r["fsync"])) if base else None
            if want is not None and r["fsync"] == "everysec":
                self.target(f"paired median {r['test'].upper()} "
                            f"{'-P ' + r['pipeline'] if r['pipeline'] != '1' else 'unpipelined'}"
                            f", omenkv / Redis AOF everysec, >= {base.upper()}'s (issue 20)",
                            f"{ratio:.3f}x vs {want:.3f}x", ratio >= want,
                            f"median of {r['rounds']}")
            out.append([r["test"].upper(), r["pipeline"], r["fsync"], r["rounds"],
                        fmt_int(fnum(r["omenkv_rps"])), fmt_int(fnum(r["redis_rps"])),
                        fmt_ratio(ratio), r["omenkv_runs"], r["redis_runs"]])
            want = TARGETS_PAIRED.get((r["test"], r["pipeline"], r["fsync"]))
            if want is not None:
                self.target(f"paired median {r['test'].upper()} "
                            f"{'-P ' + r['pipeline'] if r['pipeline'] != '1' else 'unpipelined'}"
                            f", omenkv / Redis AOF {r['fsync']}, >= {want:g} (issue 18)",
                            f"{ratio:.3f}x", ratio >= want, f"median of {r['rounds']}")
        self.add(table(["test", "-P", "appendfsync", "rounds", "omenkv median req/s",
                        "Redis median req/s", "omenkv / Redis", "omenkv runs", "Redis runs"],
                       out))

    def keycount(self):
        rows = read_csv(self.results, "keycount.csv")
        self.add("## Throughput and latency vs key count (omenkv-bench)\n")
        if not rows:
            self.add("_No data: the section did not run or failed._\n")
            return
        run = [r for r in rows if r["phase"] == "run"]
        load = [r for r in rows if r["phase"] == "load"]
        r0 = run[0] if run else rows[0]
        self.add(
            f"`clients/omenkv-bench`, {r0['connections']} connections over {r0['threads']} "
            f"threads, unpipelined, {r0['value_min']}-byte values, keys `key:%012d`; per key "
            f"count and server: a load phase (every key SET once, in order, pipelined 64 deep), "
            f"then uniform GETs, uniform SETs, and a 90/10 GET/SET mix with zipfian (0.99) keys, "
            f"each for {fnum(r0['seconds']):.0f} s after a warm-up. Latency is from sending a "
            f"request to parsing its reply. omenkv runs with its defaults "
            f"({self.omk_defaults()}), Redis with AOF everysec.\n")
        out = []
        for r in load:
            out.append([r["label"].split(":")[0], fmt_keys(r["keys"]), "load",
                        fmt_int(fnum(r["rps"])), fmt(fnum(r["p50_us"])), fmt(fnum(r["p99_us"])),
                        fmt(fnum(r["p999_us"])), "-", "-"])
        for r in run:
            srv, wl = r["label"].split(":", 1)
            out.append([srv, fmt_keys(r["keys"]), wl, fmt_int(fnum(r["rps"])),
                        fmt(fnum(r["p50_us"])), fmt(fnum(r["p99_us"])), fmt(fnum(r["p999_us"])),
                        r["get_misses"] if wl != "set" else "-", r["cache_hit_ratio"]])
        out.sort(key=lambda x: (x[2], x[0], fnum(x[1].replace("K", "e3").replace("M", "e6"))))
        self.add(table(["server", "keys", "workload", "req/s", "p50 us", "p99 us", "p99.9 us",
                        "GET misses", "cache hit ratio"], out))
        if HAVE_MPL:
            series = {}
            for r in run:
                series.setdefault(r["label"], []).append(
                    (int(r["keys"]), fnum(r["rps"]), fnum(r["p99_us"])))
            workloads = sorted({label.split(":", 1)[1] for label in series})
            fig, axes = plt.subplots(1, 2, figsize=(11, 4))
            for label, pts in sorted(series.items()):
                pts.sort()
                srv, wl = label.split(":", 1)
                kw = dict(color=f"C{workloads.index(wl)}", marker="o" if srv == "omenkv" else "s",
                          linestyle="-" if srv == "omenkv" else "--", label=label)
                axes[0].plot([p[0] for p in pts], [p[1] for p in pts], **kw)
                axes[1].plot([p[0] for p in pts], [p[2] for p in pts], **kw)
            for ax, yl in zip(axes, ("requests/s", "p99 latency (us)")):
                ax.set_xscale("log")
                ax.set_xlabel("keys")
                ax.set_ylabel(yl)
                ax.set_ylim(bottom=0)
                ax.grid(True, alpha=0.3)
            axes[0].set_title("throughput vs key count (solid: omenkv, dashed: Redis AOF)")
            axes[1].set_title("p99 vs key count")
            axes[1].legend(fontsize=7)
            self.plot(fig, "keycount.png", "throughput and p99 vs key count")

    def memory_restart_scan(self):
        rs = read_csv(self.results, "restart.csv")
        sc = read_csv(self.results, "scan.csv")
        self.add("## Memory, restart and SCAN vs key count\n")
        if not rs and not sc:
            self.add("_No data: the section did not run or failed._\n")
            return
        self.add(
            "After the runs above: resident memory (VmRSS of the server process); a full "
            "`SCAN` iteration over loopback with `COUNT 1000` on one connection; then SIGTERM "
            "(stop time), a start on the same data (restart time: from exec until `PING` "
            "answers), resident memory again, and `DBSIZE`, which must equal the key count. "
            "omenkv's own figure for rebuilding its index is `rocksdb_load_ms` from INFO.\n")
        scan = {(r["label"], r["keys"]): r for r in (sc or [])}
        out = []
        for r in rs or []:
            s = scan.get((r["server"], r["keys"]))
            out.append([r["server"], fmt_keys(r["keys"]), fmt(fnum(r["rss_loaded_kb"]) / 1024),
                        fmt(div(fnum(r["rss_loaded_kb"]) * 1024, fnum(r["keys"])), 0),
                        fmt(fnum(r["stop_s"]), 2), fmt(fnum(r["restart_s"]), 2),
                        r["server_load_ms"] or "-", fmt(fnum(r["rss_restarted_kb"]) / 1024),
                        r["dbsize_after"],
                        fmt_int(fnum(s["scan_keys_per_s"])) if s else "-"])
        self.add(table(["server", "keys", "RSS MiB", "RSS B/key", "stop s", "restart s",
                        "index load ms (INFO)", "RSS after restart MiB", "DBSIZE after",
                        "SCAN keys/s"], out))
        om = [r for r in (rs or []) if r["server"] == "omenkv"]
        if om:
            big = max(om, key=lambda r: int(r["keys"]))
            n = int(big["keys"])
            t = fnum(big["restart_s"])
            note = "" if n >= TARGET_KEYS else f"measured at {fmt_keys(n)}; the target is " \
                                               f"stated at {fmt_keys(TARGET_KEYS)} (run --full)"
            self.target(f"restart at {fmt_keys(TARGET_KEYS)} keys <= {TARGET_RESTART_S:g} s",
                        f"{t:.2f} s at {fmt_keys(n)}", t <= TARGET_RESTART_S, note)
            self.target(f"restart at {fmt_keys(TARGET_KEYS)} keys <= {TARGET_RESTART_10M_S:g} s "
                        f"(issue 25)", f"{t:.2f} s at {fmt_keys(n)}",
                        t <= TARGET_RESTART_10M_S, note)
            bpk = div(fnum(big["rss_restarted_kb"]) * 1024, n)
            self.target(f"RSS after a restart at {fmt_keys(TARGET_KEYS)} 16-byte keys "
                        f"<= {TARGET_RSS_BPK:g} B/key (issue 25)",
                        f"{bpk:.1f} B/key at {fmt_keys(n)}", bpk <= TARGET_RSS_BPK, note)
        oms = [r for r in (sc or []) if r["label"] == "omenkv"]
        if oms:
            big = max(oms, key=lambda r: int(r["keys"]))
            v = fnum(big["scan_keys_per_s"])
            self.target(f"SCAN all keys, COUNT 1000, >= {TARGET_SCAN_KEYS_S:,.0f} keys/s",
                        f"{v:,.0f} keys/s at {fmt_keys(big['keys'])}", v >= TARGET_SCAN_KEYS_S)
        if HAVE_MPL and rs:
            fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
            for srv in sorted({r["server"] for r in rs}):
                pts = sorted((int(r["keys"]), r) for r in rs if r["server"] == srv)
                ks = [p[0] for p in pts]
                axes[0].plot(ks, [fnum(p[1]["rss_loaded_kb"]) / 1024 for p in pts], marker="o",
                             label=srv)
                axes[1].plot(ks, [fnum(p[1]["restart_s"]) for p in pts], marker="o", label=srv)
                sp = sorted((int(r["keys"]), fnum(r["scan_keys_per_s"]))
                            for r in (sc or []) if r["label"] == srv)
                axes[2].plot([p[0] for p in sp], [p[1] for p in sp], marker="o", label=srv)
            for ax, yl, title in zip(axes, ("MiB", "seconds", "keys/s"),
                                     ("resident memory", "restart time", "SCAN COUNT 1000")):
                ax.set_xscale("log")
                ax.set_xlabel("keys")
                ax.set_ylabel(yl)
                ax.set_title(title)
                ax.grid(True, alpha=0.3)
                ax.legend(fontsize=8)
            self.plot(fig, "memory_restart_scan.png", "memory, restart and SCAN vs key count")

    def cache(self):
        rows = read_csv(self.results, "cache.csv")
        m = self.meta
        self.add("## A data set 5x the cache budget, zipfian 0.99 reads\n")
        if not rows:
            self.add("_No data: the section did not run or failed._\n")
            return
        keys, vs, budget = fnum(m.get("cache_keys")), fnum(m.get("cache_value_size")), \
            fnum(m.get("cache_budget_bytes"))
        self.add(
            f"{fmt_int(keys)} keys of {fmt_int(vs)}-byte values ({fmt(keys * vs / 2**20)} MiB of "
            f"values) loaded into omenkv, then GETs with zipfian (0.99) keys spread over the key "
            f"space, {rows[-1]['connections']} connections, after a warm-up, in three runs on "
            f"the same data: the value cache at `maxmemory {fmt_int(budget)}` "
            f"({fmt(budget / 2**20)} MiB, a fifth of the values); the cache disabled "
            f"(`maxmemory 1`); the default budget (`maxmemory 0`, a share of RAM that holds "
            f"every value). In every run RocksDB's block cache is cut to 8 MB so the data set "
            f"does not fit there either; the OS page cache still holds the files, so a miss "
            f"costs a block read from it and a decode, not a disk seek. The hit ratio is "
            f"counted from INFO's Cache section over the measured run.\n")
        run = [r for r in rows if r["phase"] == "run"]
        out = [[r["label"], fmt_int(fnum(r["rps"])), fmt(fnum(r["p50_us"])),
                fmt(fnum(r["p99_us"])), fmt(fnum(r["p999_us"])), r["cache_hit_ratio"]]
               for r in run]
        self.add(table(["configuration", "GET/s", "p50 us", "p99 us", "p99.9 us",
                        "cache hit ratio"], out))
        small = [r for r in run if r["label"].startswith(f"maxmemory {int(budget)} ")] \
            if not math.isnan(budget) else []
        off = [r for r in run if r["label"].startswith("maxmemory 1 ")]
        if small and off:
            on, off = small[0], off[0]
            tr = div(fnum(on["rps"]), fnum(off["rps"]))
            pr = div(fnum(off["p99_us"]), fnum(on["p99_us"]))
            self.add(f"Budget a fifth of the data / cache disabled: throughput {fmt_ratio(tr)}, "
                     f"p99 {fmt_ratio(pr)} lower, hit ratio {on['cache_hit_ratio']}.\n")
            self.target("5x data set, zipfian 0.99 GETs: throughput, cache at a fifth of the "
                        "data / cache disabled", fmt_ratio(tr), None,
                        f"p99 {on['p99_us']} vs {off['p99_us']} us; hit ratio "
                        f"{on['cache_hit_ratio']}; RocksDB alone: the store table's get_zipf")
        if HAVE_MPL and run:
            fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
            labels = [r["label"].split(" (")[0] for r in run]
            colors = [f"C{i}" for i in range(len(run))]
            axes[0].bar(labels, [fnum(r["rps"]) for r in run], color=colors)
            axes[0].set_ylabel("GET/s")
            axes[1].bar(labels, [fnum(r["p99_us"]) for r in run], color=colors)
            axes[1].set_ylabel("p99 us")
            for ax in axes:
                ax.tick_params(axis="x", labelsize=8)
            self.plot(fig, "cache.png", "cache budget vs cache disabled vs default")

    def store(self):
        rows = read_csv(self.results, "store_bench.csv")
        self.add("## In-process: the store API vs RocksDB alone vs SQLite (store-bench)\n")
        if not rows:
            self.add("_No data: the section did not run or failed._\n")
            return
        self.add(
            "`bench/store-bench`, one thread, 64-byte values, keys `key:%012d`: omenkv's store "
            "API with its defaults (the in-RAM index, the value cache at its default budget, "
            "which holds every value written here, then RocksDB with bloom filters and a "
            "256 MB block cache); omenkv-nocache, the same with the value cache disabled; "
            "plain RocksDB with default options (`rocksdb_get_pinned`); "
            "SQLite in WAL mode, `synchronous=NORMAL`, a `WITHOUT ROWID` table with the key as "
            "primary key, a 256 MB page cache, prepared statements. Load: batches of 1000 keys "
            "in key order. get: uniform; get_zipf: zipfian 0.99; get_hot: 1000 keys; "
            "get_miss: absent keys between present ones; set: overwrites, one write each; "
            "scan: a walk of every key (store_scan COUNT 1000, an iterator, SELECT ORDER BY). "
            "Microseconds per operation (per key for load and scan); a ratio above 1 means "
            "omenkv is faster.\n")
        us = {}
        for r in rows:
            us[(r["engine"], int(r["keys"]), r["op"])] = fnum(r["us_per_op"])
        sizes = sorted({int(r["keys"]) for r in rows})
        ops = []
        for r in rows:
            if r["op"] not in ops:
                ops.append(r["op"])
        engines = [e for e in ("omenkv", "omenkv-nocache", "rocksdb", "sqlite")
                   if any(k[0] == e for k in us)]
        out = []
        for n in sizes:
            for op in ops:
                om = us.get(("omenkv", n, op), math.nan)
                line = [fmt_keys(n), op] + [fmt(us.get((e, n, op), math.nan), 3) for e in engines]
                line += [fmt_ratio(div(us.get((e, n, op), math.nan), om)) for e in engines[1:]]
                out.append(line)
        self.add(table(["keys", "op"] + [f"{e} us" for e in engines]
                       + [f"{e} / omenkv" for e in engines[1:]], out))
        n = sizes[-1]
        om_get = us.get(("omenkv", n, "get"), math.nan)
        sq_get = us.get(("sqlite", n, "get"), math.nan)
        note = "" if n >= TARGET_KEYS else f"measured at {fmt_keys(n)}; the target is stated " \
                                           f"at {fmt_keys(TARGET_KEYS)} (run --full)"
        if not math.isnan(sq_get):
            r = div(sq_get, om_get)
            self.target(f"in-process GET at {fmt_keys(TARGET_KEYS)} keys >= "
                        f"{TARGET_STORE_VS_SQLITE:g}x SQLite's", f"{fmt_ratio(r)} at "
                        f"{fmt_keys(n)} ({om_get:.3f} vs {sq_get:.3f} us)",
                        r >= TARGET_STORE_VS_SQLITE, note)
        hot = us.get(("omenkv", n, "get_hot"), math.nan)
        if not math.isnan(hot):
            self.target(f"in-process GET when cached <= {TARGET_STORE_CACHED_US:g} us",
                        f"{hot:.3f} us at {fmt_keys(n)} (get_hot: 1000 keys)",
                        hot <= TARGET_STORE_CACHED_US,
                        (note + "; " if note else "") + "omenkv engine: the value cache holds "
                        f"every value; uniform get: {us.get(('omenkv', n, 'get'), math.nan):.3f} us")
        zr = us.get(("rocksdb", n, "get_zipf"), math.nan)
        zo = us.get(("omenkv", n, "get_zipf"), math.nan)
        zn = us.get(("omenkv-nocache", n, "get_zipf"), math.nan)
        if not math.isnan(zr):
            self.target("zipfian 0.99 GET, omenkv store vs RocksDB alone (in-process)",
                        f"{fmt_ratio(div(zr, zo))} ({zo:.3f} vs {zr:.3f} us at {fmt_keys(n)})",
                        None, f"without the value cache: {fmt_ratio(div(zr, zn))} "
                              f"({zn:.3f} us)" if not math.isnan(zn) else "")
        if HAVE_MPL:
            plot_ops = [o for o in ("get", "get_zipf", "get_miss", "set", "scan") if o in ops]
            fig, axes = plt.subplots(1, len(plot_ops), figsize=(3.2 * len(plot_ops), 3.4))
            if len(plot_ops) == 1:
                axes = [axes]
            for ax, op in zip(axes, plot_ops):
                for e in engines:
                    pts = [(k, us.get((e, k, op), math.nan)) for k in sizes]
                    ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=e)
                ax.set_xscale("log")
                ax.set_yscale("log")
                ax.set_xlabel("keys")
                ax.set_ylabel("us per key" if op == "scan" else "us per op")
                ax.set_title(op)
                ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
                ax.grid(True, alpha=0.3, which="both")
            axes[0].legend(fontsize=8)
            self.plot(fig, "store_bench.png", "store API vs RocksDB vs SQLite")

    def index(self):
        rows = read_csv(self.results, "index_bench.csv")
        self.add("## The index alone (index-bench)\n")
        if not rows:
            self.add("_No data: the section did not run or failed._\n")
            return
        self.add(
            "`bench/index-bench` (see bench/README.md for its protocol and units): ALEX, JudySL "
            "and a sorted array with binary search over several key shapes. Rates are in "
            "millions of operations per second (walks: thousands of 100-key walks per second), "
            "sizes in bytes per key, as index-bench prints them.\n")
        impls = []
        for r in rows:
            if r["impl"] not in impls:
                impls.append(r["impl"])
        val = {(r["set"], r["keys"], r["metric"], r["impl"]): r["value"] for r in rows}
        keys = []
        for r in rows:
            k = (r["set"], r["keys"], r["metric"])
            if k not in keys:
                keys.append(k)
        out = []
        for s, n, metric in keys:
            out.append([s, fmt_keys(n), metric] + [
                fmt(fnum(val[(s, n, metric, i)]), 3) if (s, n, metric, i) in val else "-"
                for i in impls])
        self.add(table(["key set", "keys", "metric"] + impls, out))

    def coll_large(self):
        rows = read_csv(self.results, "coll_large.csv")
        self.add("## Large collections through the server (bench/coll-large)\n")
        if not rows:
            self.add("_No data: the section did not run or failed._\n")
            return
        v = {(r["phase"], r["metric"]): fnum(r["value"]) for r in rows}
        g = lambda ph, m: v.get((ph, m), math.nan)
        n = g("run", "size")
        at = fmt_keys(n) if not math.isnan(n) else "?"
        self.add(
            f"`bench/coll-large` against omenkv with its defaults: a hash of {at} fields "
            f"(`HSET big:hash f:%012d <16 bytes>`) and a set of {at} members (`SADD big:set "
            f"m:%012d`), each built over one connection, 100 elements per command and 16 "
            f"commands in flight; then HLEN, SCARD, EXISTS and TYPE 100 times each while INFO's "
            f"`rocksdb_reads` is watched; HGET and SISMEMBER of random present and absent "
            f"elements, one call at a time (latency from sending to the parsed reply); DEL of "
            f"each while a second client runs GET and HGET of small keys, INFO sampled every "
            f"100 ms until the store's reclaimer has compacted the dead elements away "
            f"(`collections_reclaims` grew; the compaction's own time is "
            f"`collections_last_reclaim_ms`) or a time limit passed. Element CF: INFO's "
            f"`rocksdb_element_bytes`; data dir: its size on disk (du, which counts "
            f"RocksDB's preallocated blocks and the write-ahead log).\n")
        out = []
        for ph, name in (("build_hash", "hash"), ("build_set", "set")):
            if g(ph, "stopped") == 1:
                name += f" (**stopped at its time limit**, of {at})"
            out.append([name, fmt_int(g(ph, "elements")), fmt(g(ph, "seconds"), 1),
                        fmt_int(g(ph, "rate")), fmt(g(ph, "elem_added") / 1e6, 1),
                        fmt(g(ph, "disk_added") / 1e6, 1), fmt(g(ph, "dir_added") / 1e6, 1),
                        fmt_int(g(ph, "entry_bytes"))])
        self.add(table(["collection", "elements", "build s", "elements/s",
                        "element CF added MB", "rocksdb_disk_bytes added MB",
                        "data dir added MB", "its index entry B"], out))
        out = []
        for ph, name in (("hget_hit", "HGET present field"), ("hget_miss", "HGET absent field"),
                         ("sismember_hit", "SISMEMBER member"),
                         ("sismember_miss", "SISMEMBER non-member")):
            out.append([name, fmt(g(ph, "p50"), 1), fmt(g(ph, "p99"), 1), fmt(g(ph, "max"), 1),
                        fmt(g(ph, "reads_per_call"), 2)])
        self.add(table(["call", "p50 us", "p99 us", "max us", "RocksDB reads per call"], out))
        reads = g("counts", "rocksdb_reads")
        self.add(f"HLEN, SCARD, EXISTS and TYPE of the two large keys, 100 times each: "
                 f"`rocksdb_reads` moved by {fmt_int(reads)}.\n")
        out = [["none (before the DELs)", "-", "-", "-", "-", "-",
                fmt(g("client_idle", "client_get_p50"), 1),
                fmt(g("client_idle", "client_get_p99"), 1),
                fmt(g("client_idle", "client_hget_p50"), 1),
                fmt(g("client_idle", "client_hget_p99"), 1)]]
        for ph, name in (("del_hash", "DEL of the hash"), ("del_set", "DEL of the set")):
            back = g(ph, "reclaimed")
            out.append([name, fmt(g(ph, "del_ms"), 2),
                         (fmt(g(ph, "reclaim_s"), 2) if back == 1
                          else f"not within {fmt(g(ph, 'reclaim_s'), 0)}"),
                         fmt_int(g(ph, "compaction_ms")),
                         fmt(g(ph, "elem_before") / 1e6, 1) + " / " +
                         fmt(g(ph, "elem_after") / 1e6, 1),
                         fmt(g(ph, "dir_before") / 1e6, 1) + " / " +
                         fmt(g(ph, "dir_after") / 1e6, 1),
                         fmt(g(ph, "client_get_p50"), 1), fmt(g(ph, "client_get_p99"), 1),
                         fmt(g(ph, "client_hget_p50"), 1), fmt(g(ph, "client_hget_p99"), 1)])
        self.add(table(["while", "DEL ms", "reclaimed after s", "its compaction ms",
                        "element CF MB before / after", "data dir MB before / after",
                        "2nd client GET p50 us", "GET p99 us", "HGET p50 us", "HGET p99 us"],
                       out))
        out = []
        for ph, name in (("string", "string (16-byte value)"),
                         ("hash_small", "hash, 4 fields (inline)"),
                         ("set_small", "set, 4 members (inline)")):
            e, i = g(ph, "entry_bytes_per_key"), g(ph, "index_bytes_per_key")
            out.append([name, fmt(e, 1), fmt(i, 1), fmt(e + i, 1)])
        self.add("Index bytes per key, from INFO's `index_entry_bytes` and `index_bytes` grown "
                 "over `index_keys` grown while keys of one type with 14-byte names were "
                 "written (the node bytes are the index's growth over those inserts, which "
                 "depends on where in the index the keys land, not on their type):\n")
        self.add(table(["keys", "entry B/key", "index nodes B/key", "total B/key"], out))
        note = "" if n >= TARGET_COLL_SIZE else \
            f"measured at {at}; the issue states {fmt_keys(TARGET_COLL_SIZE)} (run --full)"
        for ph, name in (("build_hash", "hash"), ("build_set", "set")):
            e = g(ph, "elements")
            self.target(f"a {at}-element {name} built through the server (issue 20)",
                        f"{fmt_int(e)} in {fmt(g(ph, 'seconds'), 1)} s "
                        f"({fmt_int(g(ph, 'rate'))}/s)", e >= n,
                        "stopped at coll-large's time limit" if g(ph, "stopped") == 1 else note)
        self.target("HLEN / SCARD / EXISTS / TYPE of large collections read nothing from "
                    "RocksDB (issue 20)", f"{fmt_int(reads)} reads", reads == 0, note)
        for ph, name in (("del_hash", "hash"), ("del_set", "set")):
            d = g(ph, "del_ms")
            self.target(f"DEL of the large {name} is O(1): <= {TARGET_DEL_MS:g} ms (issue 20)",
                        f"{fmt(d, 2)} ms", d <= TARGET_DEL_MS, note)
            back = g(ph, "reclaimed")
            self.target(f"disk space of the deleted {name} comes back (issue 20)",
                        (f"in {fmt(g(ph, 'reclaim_s'), 1)} s" if back == 1 else
                         f"not within {fmt(g(ph, 'reclaim_s'), 0)} s"), back == 1,
                        f"element CF {fmt(g(ph, 'elem_before') / 1e6, 1)} -> "
                        f"{fmt(g(ph, 'elem_after') / 1e6, 1)} MB")
        es, eh, et = (g("string", "entry_bytes_per_key"), g("hash_small", "entry_bytes_per_key"),
                      g("set_small", "entry_bytes_per_key"))
        self.target("index entry of a collection key no larger than a string's (issue 20)",
                    f"hash {fmt(eh, 1)}, set {fmt(et, 1)}, string {fmt(es, 1)} B/key",
                    None if math.isnan(es) else max(eh, et) <= es)

    def lists_zsets(self):
        rows = read_csv(self.results, "vs_redis_zl.csv")
        cl = read_csv(self.results, "coll_large_zl.csv")
        self.add("## Lists and sorted sets (issue 21)\n")
        if not rows and not cl:
            self.add("_No data: the section did not run or failed._\n")
            return
        if rows:
            self.add("`bench/vs-redis --tests default`: redis-benchmark with no `-t`, its whole "
                     "default list, `-c 50 -d 64 -r 100000`, against omenkv with its defaults "
                     "and Redis with `--appendonly yes --appendfsync everysec`, run against each "
                     "in turn for the rounds given (a run with an error reply, or one that "
                     "stops early, fails the section); LPUSH_LRANGE is the LPUSH that fills "
                     "`mylist` for the LRANGE tests. Then ZRANK (`ZRANK zs "
                     "element:__rand_int__`), ZRANGE by rank (`ZRANGE zs 50000 50009`), "
                     "ZRANGEBYSCORE (`ZRANGEBYSCORE zs __rand_int__ +inf LIMIT 0 10`) and LINDEX "
                     "(`LINDEX ls 50000`) over a 100k-member sorted set and a 100k-element "
                     "list written to both first. Ratios are median over median.\n")
            out = []
            for r in rows:
                ratio = fnum(r["ratio"])
                name = r["test"].upper()
                default = r["test"] not in ("zrank", "zrange", "zrangebyscore", "lindex")
                want = (TARGET_LRANGE_RATIO if r["test"].startswith("lrange")
                        else TARGET_DEFAULT_LIST_RATIO) if default else None
                out.append([name, r["pipeline"], r["rounds"], fmt_int(fnum(r["omenkv_rps"])),
                            fmt_int(fnum(r["redis_rps"])), fmt_ratio(ratio),
                            f">= {want:g}x" if want else "-", r["omenkv_runs"], r["redis_runs"]])
                if want is not None:
                    self.target(f"redis-benchmark default list {name} "
                                f"{'-P ' + r['pipeline'] if r['pipeline'] != '1' else 'unpipelined'}"
                                f", omenkv / Redis AOF everysec, >= {want:g} (issue 21)",
                                f"{ratio:.3f}x", ratio >= want, f"median of {r['rounds']}")
            self.add(table(["test", "-P", "rounds", "omenkv median req/s", "Redis median req/s",
                            "omenkv / Redis", "target", "omenkv runs", "Redis runs"], out))
        if not cl:
            return
        v = {(r["phase"], r["metric"]): fnum(r["value"]) for r in cl}
        g = lambda ph, m: v.get((ph, m), math.nan)
        n = g("run", "size")
        at = fmt_keys(n) if not math.isnan(n) else "?"
        self.add(
            f"`bench/coll-large --types zset,list`, starting omenkv itself with its defaults: a "
            f"sorted set of {at} members (`ZADD big:zset <score> z:%012d`, member i scoring "
            f"i x a prime modulo the size, so the scores are 0..size-1 arriving out of order "
            f"and every rank is checked) and a list of {at} elements (`RPUSH big:list "
            f"l:%012d`), each built over one connection, 100 elements per command and 16 "
            f"commands in flight. Then one call at a time (latency from sending to the parsed "
            f"reply): ZRANK of random members, ZRANGE of 10 members from a random rank, LINDEX "
            f"of the middle element and of random ones, LRANGE of 100; the first call after the "
            f"build (or after the restart) is timed apart, as it may build what the others "
            f"use. The server is then restarted (SIGTERM, start on the same data) and every "
            f"probe runs again.\n")
        out = []
        for ph, name in (("build_zset", "sorted set (ZADD)"), ("build_list", "list (RPUSH)")):
            if math.isnan(g(ph, "elements")):
                continue
            if g(ph, "stopped") == 1:
                name += f" (**stopped at its time limit**, of {at})"
            out.append([name, fmt_int(g(ph, "elements")), fmt(g(ph, "seconds"), 1),
                        fmt_int(g(ph, "rate"))])
        self.add(table(["collection", "elements", "build s", "elements/s"], out))
        out = []
        probes = (("zrank", "ZRANK"), ("zrange_rank", "ZRANGE by rank, 10 members"),
                  ("lindex_mid", "LINDEX of the middle"), ("lindex", "LINDEX, random index"),
                  ("lrange100", "LRANGE of 100"))
        for when in ("built", "restarted"):
            for tag, name in probes:
                ph = f"{tag}_{when}"
                if math.isnan(g(ph, "p50")):
                    continue
                out.append([name, "after the build" if when == "built" else "after a restart",
                            fmt(g(ph, "first_ms"), 3), fmt(g(ph, "p50"), 1),
                            fmt(g(ph, "p99"), 1), fmt(g(ph, "max"), 1),
                            fmt(g(ph, "reads_per_call"), 2)])
        self.add(table(["call", "when", "first call ms", "p50 us", "p99 us", "max us",
                        "RocksDB reads per call"], out))
        notes = []
        rs = g("restart", "seconds")
        if not math.isnan(rs):
            notes.append(f"restart to the first PONG: {fmt(rs, 2)} s")
        for when in ("built", "restarted"):
            m0, m1 = g(f"zrank_{when}", "used_memory_before"), g(f"zrank_{when}", "used_memory_after")
            r1 = g(f"zrank_{when}", "ranks_after")
            if not math.isnan(m0):
                notes.append(f"INFO used_memory around the sorted-set probes {when}: "
                             f"{fmt(m0 / 1e6, 1)} -> {fmt(m1 / 1e6, 1)} MB")
            if not math.isnan(r1):
                notes.append(f"used_memory_zset_ranks after them: {fmt(r1 / 1e6, 1)} MB "
                             f"({fmt(div(r1, g('build_zset', 'elements')), 1)} B per member)")
        for ph, name in (("del_zset", "sorted set"), ("del_list", "list")):
            if not math.isnan(g(ph, "del_ms")):
                notes.append(f"DEL of the {name}: {fmt(g(ph, 'del_ms'), 3)} ms")
        if notes:
            self.add("; ".join(notes) + ".\n")
        note = "" if n >= TARGET_ZL_SIZE else \
            f"measured at {at}; the issue states {fmt_keys(TARGET_ZL_SIZE)} (run --full)"
        for when in ("built", "restarted"):
            for tag, name in (("zrank", "ZRANK"), ("zrange_rank", "ZRANGE by rank")):
                p99 = g(f"{tag}_{when}", "p99")
                if math.isnan(p99):
                    continue
                self.target(f"{name} p99 on a {fmt_keys(TARGET_ZL_SIZE)}-member sorted set "
                            f"{'after the build' if when == 'built' else 'after a restart'}, "
                            f"the rank index built, <= {TARGET_RANK_P99_US / 1000:g} ms (issue 21)",
                            f"{fmt(p99, 1)} us (first call {fmt(g(f'{tag}_{when}', 'first_ms'), 2)}"
                            f" ms)", p99 <= TARGET_RANK_P99_US, note)
        if not math.isnan(g("build_zset", "rate")):
            self.target(f"ZADD throughput building a {at}-member sorted set (issue 21)",
                        f"{fmt_int(g('build_zset', 'rate'))}/s", None,
                        "stopped at coll-large's time limit" if g("build_zset", "stopped") == 1
                        else note)
        if not math.isnan(g("lindex_mid_built", "p99")):
            self.target(f"LINDEX of the middle of a {at}-element list, p99 (issue 21)",
                        f"{fmt(g('lindex_mid_built', 'p99'), 1)} us", None, note)

    def shards(self):
        rows = read_csv(self.results, "shards.csv")
        self.add("## Shards behind twemproxy (issue 25)\n")
        if not rows:
            why = self.meta.get("skipped:shards")
            self.add(f"_Skipped: {why}._\n" if why else
                     "_No data: the section did not run or failed._\n")
            return
        self.add("`bench/shards`: redis-benchmark `-c 50 -d 64 -r 100000 -t set|get` against one "
                 "omenkv directly (direct), through nutcracker "
                 f"{self.meta.get('nutcracker', '?')} in front of that same omenkv (proxy-1: "
                 "the proxy hop alone), and through nutcracker in front of three omenkv shards "
                 "(proxy-3: the README's configuration, ketama, fnv1a_64), each holding the "
                 "100k keys first, run against each in turn for the rounds given; ratios are "
                 "median over direct's median. Every process shares this machine's "
                 f"{self.meta.get('nproc', '?')} cores: nutcracker (one thread), the shards' "
                 "workers and redis-benchmark compete for them, so three shards cannot show "
                 "three times one shard's rate here; on separate hosts each shard brings its "
                 "own cores.\n")
        out = []
        for r in rows:
            ratio = fnum(r["ratio_vs_direct"])
            out.append([r["test"], r["pipeline"], r["setup"], r["shards"], r["rounds"],
                        fmt_int(fnum(r["median_rps"])), fmt_ratio(ratio),
                        fmt(fnum(r["median_p50_ms"]), 3), fmt(fnum(r["median_p99_ms"]), 3),
                        r["runs"]])
            if r["setup"] != "direct":
                self.target(f"{r['test']} "
                            f"{'-P ' + r['pipeline'] if r['pipeline'] != '1' else 'unpipelined'}"
                            f" through twemproxy, {r['shards']} shard(s) / one omenkv direct "
                            "(issue 25)", f"{ratio:.3f}x", None,
                            f"median of {r['rounds']}; all on {self.meta.get('nproc', '?')} cores")
        self.add(table(["test", "-P", "setup", "shards", "rounds", "median req/s", "/ direct",
                        "p50 ms", "p99 ms", "runs"], out))

    def bits_bigstr(self):
        rows = read_csv(self.results, "vs_redis_bits.csv")
        bs = read_csv(self.results, "bigstr.csv")
        self.add("## Bitmaps, HyperLogLogs and large strings (issue 22)\n")
        if not rows and not bs:
            self.add("_No data: the section did not run or failed._\n")
            return
        if rows:
            self.add("`bench/vs-redis --tests setbit,getbit,bitcount,pfadd,pfcount`, against "
                     "omenkv with its defaults and Redis with `--appendonly yes --appendfsync "
                     "everysec`, each test run against each server in turn for the rounds given, "
                     "50 connections: SETBIT and GETBIT at random offsets below 1M of a "
                     "125,000-byte bitmap (sent by `bench/bigstr-bench --op`: redis-benchmark's "
                     "`__rand_int__` is zero-padded, an offset Redis refuses), `BITCOUNT bm` "
                     "(the whole 125,000 bytes), `PFADD hll element:__rand_int__` and "
                     "`PFCOUNT hll` on a HyperLogLog of 100k elements. Ratios are median over "
                     "median.\n")
            out = []
            for r in rows:
                ratio = fnum(r["ratio"])
                out.append([r["test"].upper(), r["pipeline"], r["rounds"],
                            fmt_int(fnum(r["omenkv_rps"])), fmt_int(fnum(r["redis_rps"])),
                            fmt_ratio(ratio), r["omenkv_runs"], r["redis_runs"]])
                self.target(f"{r['test'].upper()} "
                            f"{'-P ' + r['pipeline'] if r['pipeline'] != '1' else 'unpipelined'}, "
                            f"omenkv / Redis AOF everysec (issue 22)", f"{ratio:.3f}x", None,
                            f"median of {r['rounds']}")
            self.add(table(["test", "-P", "rounds", "omenkv median req/s", "Redis median req/s",
                            "omenkv / Redis", "omenkv runs", "Redis runs"], out))
        if not bs:
            return
        v = {(r["label"], r["test"], r["metric"]): fnum(r["value"]) for r in bs}
        tests = sorted({r["test"] for r in bs})
        bitmap = next((t for t in tests if t.startswith("setbit-")), None)
        get = next((t for t in tests if t.startswith("get-")), None)
        labels = [l for l in ("omenkv", "redis-aof") if any(k[0] == l for k in v)]
        g = lambda l, t, m: v.get((l, t, m), math.nan)
        if bitmap:
            mb = int(bitmap[len("setbit-"):-len("mb")])
            self.add(f"`bench/bigstr-bench --bitmap`: a bitmap of {mb} MB (one SETBIT of its "
                     f"last bit), then SETBITs at random offsets over 50 connections; bytes "
                     f"written are the server's `write_bytes` in `/proc/<pid>/io` over the "
                     f"SETBITs (its log, and the memtable flushes and compactions they caused) "
                     f"divided by their number.\n")
            out = []
            for l in labels:
                out.append([l, fmt(g(l, bitmap, "create_s"), 3),
                            fmt_int(g(l, bitmap, "setbit_per_s")),
                            fmt_int(g(l, bitmap, "write_bytes_per_setbit")),
                            fmt(g(l, bitmap, "rss_after_create"), 1),
                            fmt(g(l, bitmap, "rss_after_setbits"), 1)])
            self.add(table(["server", "create s", "SETBIT/s", "bytes written per SETBIT",
                            "RSS after create MB", "RSS after the SETBITs MB"], out))
            note = "" if mb >= TARGET_BITMAP_MB else \
                f"measured at {mb} MB; the issue states {TARGET_BITMAP_MB} MB"
            if "omenkv" in labels:
                self.target(f"SETBIT at random offsets in a {TARGET_BITMAP_MB} MB bitmap (issue 22)",
                            f"{fmt_int(g('omenkv', bitmap, 'setbit_per_s'))}/s, "
                            f"{fmt_int(g('omenkv', bitmap, 'write_bytes_per_setbit'))} B "
                            f"written per SETBIT", None, note)
        if get:
            mb = int(get[len("get-"):-len("mb")])
            self.add(f"`bench/bigstr-bench --get`: a value of {mb} MB built with APPENDs of "
                     f"1 MB, then GETs of it on one connection, each reply checked byte for "
                     f"byte; the server's RSS sampled every 2 ms during each GET against its "
                     f"value just before.\n")
            out = []
            for l in labels:
                out.append([l, fmt(g(l, get, "build_s"), 2),
                            fmt(g(l, get, "first_byte_ms_run1"), 1),
                            fmt(g(l, get, "first_byte_ms_median"), 1),
                            fmt(g(l, get, "total_ms_run1"), 1),
                            fmt(g(l, get, "total_ms_median"), 1),
                            fmt(g(l, get, "rss_growth_max"), 1)])
            self.add(table(["server", "build s", "first byte ms (run 1)", "first byte ms "
                            "(median)", "total ms (run 1)", "total ms (median)",
                            "largest RSS growth MB"], out))
            note = "" if mb >= TARGET_GET_MB else \
                f"measured at {mb} MB; the issue states {TARGET_GET_MB} MB"
            if "omenkv" in labels:
                self.target(f"GET of a {TARGET_GET_MB} MB value: time to first byte, total, "
                            f"RSS growth (issue 22)",
                            f"{fmt(g('omenkv', get, 'first_byte_ms_median'), 1)} ms, "
                            f"{fmt(g('omenkv', get, 'total_ms_median'), 1)} ms, "
                            f"{fmt(g('omenkv', get, 'rss_growth_max'), 1)} MB", None, note)

    def beyond_cache(self):
        rows = read_csv(self.results, "beyond_cache.csv")
        lr = read_csv(self.results, "larger_than_ram.csv")
        self.add("## Beyond the cache (issue 25)\n")
        if not rows and not lr:
            self.add("_No data: the section did not run or failed._\n")
            return
        self.add("`bench/beyond-cache`: keys `key:%012d` with random (incompressible) 512-byte "
                 "values, omenkv's value cache and RocksDB block cache at the size given each "
                 "(`--maxmemory`, `--rocksdb-block-cache-size`), uniform GETs by redis-benchmark "
                 "(50 clients) against each omenkv variant and against Redis holding everything "
                 "in RAM (`--save '' --appendonly no`, the ceiling), run in turn for the rounds "
                 "given; medians. Variant `default` is the shipped configuration; `statistics` "
                 "turns on RocksDB's statistics, which give the bytes and file reads per value "
                 "cache miss (and cost CPU on each miss: their CPU counts in that variant's "
                 "figures); `mmap` reads the table files through memory maps "
                 "(`--rocksdb-mmap-reads yes`), `mmap-4kb` with 4 KB blocks too. With `--full`, `larger_than_ram.csv`: the data 8x the two caches, "
                 "direct reads on (the page cache no longer hides the disk), value cache on and "
                 "off, GETs by omenkv-bench with latency percentiles.\n")
        for name, rs in (("beyond_cache", rows), ("larger_than_ram", lr)):
            if not rs:
                continue
            out = []
            for r in rs:
                ratio = fnum(r["ratio"])
                out.append([r["dist"], r["pipeline"], r["variant"], r["rounds"],
                            fmt_int(fnum(r["omenkv_rps"])), fmt_int(fnum(r["redis_rps"])),
                            fmt_ratio(ratio), fmt(fnum(r["cpu_us_per_get"]), 2),
                            fmt(fnum(r["redis_cpu_us_per_get"]), 2),
                            fmt_int(fnum(r["file_bytes_per_miss"])),
                            fmt(fnum(r["file_reads_per_miss"]), 2), fmt(fnum(r["hit_ratio"]), 3),
                            "/".join(x for x in (r["p50_us"], r["p99_us"], r["p999_us"]) if x)])
                if name == "beyond_cache" and r["variant"] in ("default", "mmap", "mmap-4kb"):
                    p = r["pipeline"]
                    want = 0.88 if p == "1" else 0.76
                    how = {"default": "", "mmap": " with `rocksdb-mmap-reads yes`",
                           "mmap-4kb": " with `rocksdb-mmap-reads yes` and 4 KB blocks"}
                    self.target(f"beyond the cache, uniform GET "
                                f"{'unpipelined' if p == '1' else '-P ' + p}"
                                f"{how[r['variant']]}, omenkv / Redis in "
                                f"RAM, >= {want} (issue 25)", f"{ratio:.3f}x",
                                None if math.isnan(ratio) else ratio >= want,
                                f"median of {r['rounds']}")
            self.add(f"`{name}.csv`:\n")
            self.add(table(["dist", "-P", "variant", "rounds", "omenkv req/s", "Redis req/s",
                            "omenkv / Redis", "CPU us/GET", "Redis CPU us/GET",
                            "file bytes/miss", "file reads/miss", "value cache hit ratio",
                            "p50/p99/p99.9 us"], out))
        zipf = {r["variant"]: fnum(r["omenkv_rps"]) for r in lr or []
                if r["dist"].startswith("zipfian")}
        if "cache-on" in zipf and "cache-off" in zipf:
            x = div(zipf["cache-on"], zipf["cache-off"])
            self.target("larger than RAM (direct reads, 8x the caches), zipfian 0.99: value "
                        "cache on / off, >= 2 (issue 25)", f"{x:.2f}x",
                        None if math.isnan(x) else x >= 2)

    def scale(self):
        rows = read_csv(self.results, "scale.csv")
        ib = read_csv(self.results, "index_bench_100m.csv")
        if not rows and not ib:
            return  # --full only
        self.add("## 100M keys (issue 25)\n")
        if rows:
            n = max(int(r["keys"]) for r in rows)
            self.add(f"`bench/scale-run --keys {fmt_keys(n)}`: one omenkv (value cache capped at "
                     "1 GB), `key:%012d` keys with 64-byte values loaded in order by "
                     "omenkv-bench (50 connections, pipelined); a full SCAN with COUNT 1000; "
                     "SIGTERM (which writes the key index file) and a start timed until PING "
                     "answers; then the same with `--index-file no`, the start that reads every "
                     "key from RocksDB. RSS after a start holds no value.\n")
            out = []
            for r in rows:
                if r["step"] == "disk":
                    out.append(["disk (du of the data directory)", "-",
                                f"{fnum(r['rss_kb']) / 2**20:,.2f} GiB",
                                fmt(div(fnum(r["rss_kb"]) * 1024, fnum(r["keys"])), 1), ""])
                    continue
                out.append([r["step"], fmt(fnum(r["seconds"]), 2),
                            f"{fnum(r['rss_kb']) / 2**20:,.2f} GiB" if fnum(r["rss_kb"]) else "-",
                            fmt(div(fnum(r["rss_kb"]) * 1024, fnum(r["keys"])), 1)
                            if fnum(r["rss_kb"]) else "-", r["note"]])
            self.add(table(["step", "seconds", "RSS (or disk)", "B/key", ""], out))
            st = {r["step"]: r for r in rows}
            if "start_index_file" in st:
                t = fnum(st["start_index_file"]["seconds"])
                self.target(f"restart at 100M keys <= {TARGET_RESTART_100M_S:g} s (issue 25)",
                            f"{t:.1f} s at {fmt_keys(n)} (from the key index file; "
                            f"{fnum(st.get('start_rocksdb', {}).get('seconds')):.1f} s from "
                            "RocksDB)", t <= TARGET_RESTART_100M_S)
        if ib:
            self.add("The index alone at 100M keys (`index-bench --keys 100M --sets key "
                     "--phases bulk,shbulk`):\n")
            self.add(table(["set", "keys", "metric", "value"],
                           [[r["set"], fmt_keys(r["keys"]), r["metric"], r["value"]]
                            for r in ib if r["impl"] == "alex"]))

    def sustained(self):
        rows = read_csv(self.results, "sustained.csv")
        if not rows:
            return  # --full only: a default run has no such section
        self.add("## Sustained writes and space (issue 25)\n")
        self.add("`bench/sustained-writes` (bench/README.md, \"Sustained writes\"): SETs of "
                 "1 KB values to keys drawn uniformly from the key space, 50 connections, 16 "
                 "requests at a time; phase `full` at full speed, phase `paced` at half of its "
                 "median (latency counted from each request's scheduled time); stall = the "
                 "growth of INFO's rocksdb_stall_micros (RocksDB holding writers back for "
                 "flushes and compactions); longest RocksDB write = LATENCY's worst "
                 "rocksdb-write-stall of the paced phase. Then the space phase: keys loaded, "
                 "90% deleted, RocksDB's own compactions, DEBUG COMPACT; du -sb of the data "
                 "directory after each. Arguments run-all passed to it (`--sustained-args`): "
                 f"{self.meta.get('sustained_args', 'not recorded')}.\n")
        out = []
        for r in rows:
            ph = r["phase"]
            if ph in ("full", "paced"):
                out.append([ph, r["interval"], fmt(fnum(r["t_s"]), 0), fmt_int(fnum(r["rps"])),
                            fmt_int(fnum(r["p50_us"])), fmt_int(fnum(r["p99_us"])),
                            fmt_int(fnum(r["p999_us"])), fmt_int(fnum(r["max_us"])),
                            fmt(fnum(r["stall_us"]) / 1e6, 1),
                            fmt(fnum(r["disk_bytes"]) / 2**30, 2)])
        self.add(table(["phase", "interval", "t s", "SET/s", "p50 us", "p99 us", "p99.9 us",
                        "max us", "stalled s", "RocksDB GiB"], out))
        summ = {r["phase"]: r for r in rows if not r["phase"] in ("full", "paced")}
        out = []
        for ph in ("full-summary", "paced-summary"):
            r = summ.get(ph)
            if r:
                secs = fnum(r["seconds"])
                out.append([ph, fmt(secs, 0), fmt_int(fnum(r["rps"])), fmt_int(fnum(r["p999_us"])),
                            fmt_int(fnum(r["max_us"])), fmt(fnum(r["stall_us"]) / 1e6, 1),
                            fmt(100 * div(fnum(r["stall_us"]) / 1e6, secs), 1),
                            r["longest_stall_ms"] or "-", r["note"]])
        self.add(table(["phase", "seconds", "median SET/s", "worst p99.9 us", "worst max us",
                        "stalled s", "stalled %", "longest RocksDB write ms", "note"], out))
        r = summ.get("paced-summary")
        if r and r["longest_stall_ms"]:
            ms = fnum(r["longest_stall_ms"])
            self.target("sustained writes at half the full-speed rate: no RocksDB write over "
                        "100 ms (issue 25)", f"{ms:.0f} ms", None if math.isnan(ms) else ms <= 100,
                        f"worst request max {fmt_int(fnum(r['max_us']))} us")
        out = []
        for ph in ("space-loaded", "space-deleted", "space-settled", "space-compacted"):
            r = summ.get(ph)
            if r:
                out.append([ph, fmt_int(fnum(r["keys"])), fmt(fnum(r["disk_bytes"]) / 2**20, 1),
                            r["seconds"] or "-", r["note"]])
        if out:
            self.add(table(["step", "keys", "data dir MB", "seconds", "note"], out))

    def scripts(self):
        rows = read_csv(self.results, "vs_redis_eval.csv")
        self.add("## Lua scripts (issue 24)\n")
        if not rows:
            self.add("_No data: the section did not run or failed._\n")
            return
        self.add("`bench/vs-redis --tests evalsha_get_incr,evalsha_10keys`, against omenkv with "
                 "its defaults and Redis with `--appendonly yes --appendfsync everysec`, each "
                 "test run against each server in turn for the rounds given, 50 connections, "
                 "after SCRIPT LOAD on both: `EVALSHA <sha> 2 key:__rand_int__ "
                 "cnt:__rand_int__` of `redis.call('get', KEYS[1]) return redis.call('incr', "
                 "KEYS[2])` (GET INCR below), and `EVALSHA <sha> 10 ek0:__rand_int__ ... "
                 "ek9:__rand_int__` of a script that INCRs each of its 10 keys (10 INCRS). "
                 "Ratios are median over median.\n")
        names = {"evalsha_get_incr": "EVALSHA GET INCR", "evalsha_10keys": "EVALSHA 10 INCRS"}
        out = []
        for r in rows:
            ratio = fnum(r["ratio"])
            name = names.get(r["test"], r["test"])
            out.append([name, r["pipeline"], r["rounds"], fmt_int(fnum(r["omenkv_rps"])),
                        fmt_int(fnum(r["redis_rps"])), fmt_ratio(ratio), r["omenkv_runs"],
                        r["redis_runs"]])
            self.target(f"{name} "
                        f"{'-P ' + r['pipeline'] if r['pipeline'] != '1' else 'unpipelined'}, "
                        f"omenkv / Redis AOF everysec, >= 0.8 (issue 24)", f"{ratio:.3f}x",
                        None if ratio is None else ratio >= 0.8, f"median of {r['rounds']}")
        self.add(table(["script", "-P", "rounds", "omenkv median req/s", "Redis median req/s",
                        "omenkv / Redis", "omenkv runs", "Redis runs"], out))

    def targets_table(self):
        self.add("## Targets (issues 5, 18, 20, 21, 22, 24 and 25)\n")
        self.add("Each line compares a figure of this run with the target the issue states.\n")
        self.add(table(["target", "measured", "verdict", "note"], self.targets))

    def write(self):
        self.header()
        body_start = len(self.parts)
        for fn in (self.redis_benchmark, self.vs_redis, self.keycount, self.memory_restart_scan, self.cache,
                   self.store, self.index, self.coll_large, self.lists_zsets, self.bits_bigstr,
                   self.scripts, self.shards, self.beyond_cache, self.scale, self.sustained):
            fn()
        if not HAVE_MPL:
            self.parts.insert(body_start, "_python3-matplotlib is not installed: tables only, "
                                          "no plots._\n")
        body = self.parts[body_start:]
        self.parts = self.parts[:body_start]
        self.targets_table()
        self.parts += body
        with open(self.report, "w") as f:
            f.write("\n".join(self.parts))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", required=True, help="directory of the run's CSV files")
    ap.add_argument("--report", required=True, help="the Markdown file to write")
    a = ap.parse_args()
    if not os.path.exists(os.path.join(a.results, "meta.csv")):
        sys.exit(f"plot.py: {a.results}/meta.csv is missing: run bench/run-all first")
    Report(a.results, a.report).write()
    print(f"plot.py: wrote {a.report}" + ("" if HAVE_MPL else " (no plots: no matplotlib)"))


if __name__ == "__main__":
    main()
