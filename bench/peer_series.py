#!/usr/bin/env python3
"""Peer for bench_series: the same job (filter HB_WEST, build US Central times, parse prices) with
Python's csv module and zoneinfo, best of N runs, printed in the same format."""
import csv, datetime, os, sys, time, zoneinfo

root = os.environ.get("WM_SHARED", "../shared")
path = f"{root}/data/power/ercot_rtm_spp_15min_2021-02.csv"
reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
tz = zoneinfo.ZoneInfo("America/Chicago")
best = 1e9
for _ in range(reps):
    t0 = time.perf_counter()
    times, vals = [], []
    with open(path, newline="") as f:
        r = csv.DictReader(f)
        for row in r:
            if row["Settlement Point Name"] != "HB_WEST":
                continue
            m, d, y = map(int, row["Delivery Date"].split("/"))
            local = datetime.datetime(y, m, d) + datetime.timedelta(
                hours=int(row["Delivery Hour"]) - 1, minutes=15 * (int(row["Delivery Interval"]) - 1))
            fold = 1 if row["Repeated Hour Flag"] == "Y" else 0
            times.append(local.replace(tzinfo=tz, fold=fold).timestamp())
            vals.append(float(row["Settlement Point Price"]))
    best = min(best, time.perf_counter() - t0)
mb = os.path.getsize(path) / 1e6
print(f"series_parse_python file_mb={mb:.2f} rows_kept={len(vals)} best_s={best:.5f} mb_per_s={mb / best:.1f}")
