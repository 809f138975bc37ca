#!/usr/bin/env python3
"""index-tables.py CSV: the two markdown tables of bench/README.md ("Figures measured
here") from the CSV that `bench/index-bench --csv` writes, one size per CSV."""
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
v = {}
for r in rows:
    v[(r['set'], r['impl'], r['metric'])] = float(r['value'])
sets = [("key","key:%012d"),("user","user:<n>:profile"),("alnum","alnum 20"),("hex","hex 32"),("uuid","uuid"),("url","url ~64")]
def g(s,i,m,fmt="%.2f"):
    x = v.get((s,i,m)); return "-" if x is None else fmt % x
def ratio(s,m):
    a=v.get((s,'alex',m)); j=v.get((s,'judysl',m))
    return "-" if not a or not j else "%.2f" % (a/j)
print("| set | lookup hit: alex / judysl / sorted (alex/judy) | miss: alex / judysl (x) | insert random: alex / judysl (x) | insert asc: alex / judysl | delete: alex / judysl | seek+walk 100 (K/s): alex / judysl |")
print("|---|---|---|---|---|---|---|")
for s,n in sets:
    if (s,'alex','lookup_hit') not in v: continue
    print(f"| {n} | {g(s,'alex','lookup_hit')} / {g(s,'judysl','lookup_hit')} / {g(s,'sorted_array','lookup_hit')} (**{ratio(s,'lookup_hit')}**) | {g(s,'alex','lookup_miss')} / {g(s,'judysl','lookup_miss')} ({ratio(s,'lookup_miss')}) | {g(s,'alex','insert_random')} / {g(s,'judysl','insert_random')} (**{ratio(s,'insert_random')}**) | {g(s,'alex','insert_ascending')} / {g(s,'judysl','insert_ascending')} | {g(s,'alex','delete_random')} / {g(s,'judysl','delete_random')} | {g(s,'alex','seek_walk100','%.0f')} / {g(s,'judysl','seek_walk100','%.0f')} |")
print()
print("| set | B/key alex index / +entries / malloc growth | B/key judysl (malloc growth) | bulk load (Mops/s) / hit after it (x judysl) | 8 shards: insert / hit 1 thr / hit 2 thr (x) / walk 100 (K/s) |")
print("|---|---|---|---|---|")
for s,n in sets:
    if (s,'alex','lookup_hit') not in v: continue
    h1=v.get((s,'alex','lookup_hit_shards_1t')); h2=v.get((s,'alex','lookup_hit_shards_2t'))
    x = "%.2fx" % (h2/h1) if h1 and h2 else "-"
    bl=v.get((s,'alex','lookup_hit_bulk_loaded')); j=v.get((s,'judysl','lookup_hit'))
    bx = "%.2f" % (bl/j) if bl and j else "-"
    print(f"| {n} | {g(s,'alex','bytes_per_key_index','%.1f')} / {g(s,'alex','bytes_per_key_total','%.1f')} / {g(s,'alex','bytes_per_key_malloc','%.1f')} | {g(s,'judysl','bytes_per_key_malloc','%.1f')} | {g(s,'alex','bulk_load')} / {g(s,'alex','lookup_hit_bulk_loaded')} ({bx}) | {g(s,'alex','insert_random_shards')} / {g(s,'alex','lookup_hit_shards_1t')} / {g(s,'alex','lookup_hit_shards_2t')} ({x}) / {g(s,'alex','shards_walk100','%.0f')} |")
