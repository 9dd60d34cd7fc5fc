#!/usr/bin/env python3
"""peer_numpy.py - the NumPy peer of bench_mc: the same daily market model as lib/scenario.c
(jump-diffusion BTC price, fees AR(1) with spikes, blocks with retargets and halvings inside the
day, hashrate = equilibrium on lagged revenue + AR(1) deviation, power AR(1) with spikes, AI
trend + noise + shocks, tenant default and re-letting), vectorised over paths, one Python loop
iteration per day. Differences from the C model, all immaterial to the cost: NumPy's own random
generator (PCG64) instead of Philox; the retarget in floating point without nBits truncation.
Parameters are read from lib/scenario_defaults.h (the shipped defaults) so both run the same
model. Prints one RESULT line. Usage: peer_numpy.py [paths] [days] [zero]"""
import math
import os
import re
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def defaults():
    txt = open(os.path.join(HERE, "..", "lib", "scenario_defaults.h")).read()
    d = {}
    for m in re.finditer(r"#define WM_SCN_(\w+) \(?([-0-9.eE+]+)(?:LL)?\)?", txt):
        d[m.group(1)] = float(m.group(2))
    return d


def subsidy(height):
    return 50.0 / (2 ** (height // 210000))


def run(n, ndays, seed=20260213, zero=False):
    P = defaults()
    if zero:  # every source of randomness off (compare with `bench_mc N D zero`)
        for k in ("PRICE_VOL", "JUMP_RATE", "HASH_VOL", "FEE_VOL", "FEE_SPIKE_RATE", "POWER_VOL", "POWER_SPIKE_RATE"):
            P[k] = 0.0
    rng = np.random.default_rng(seed)
    Y = 365.0
    K = 1e15 * 86400.0 / 2 ** 32
    two32 = 2.0 ** 32
    start = P["START_TIME"]
    epoch = 1577836800.0
    # AI and tenant defaults of the parameter table (not calibrated)
    gpu_trend, gpu_vol, tok_trend, tok_vol = -0.18, 0.10, -0.60, 0.10
    ai_rate, gpu_shock, tok_shock = 0.5, -0.17, -0.69
    t_rate, relet_days, relet_factor = 0.02, 270.0, 0.8
    if zero:
        gpu_vol = tok_vol = ai_rate = t_rate = 0.0

    # price drift: the parameter table's planning default (0, a flat median), not the
    # historical fit WM_SCN_PRICE_DRIFT that calibrate prints (lib/scenario.c, docs/model-mc.md)
    mu, sig = 0.0, P["PRICE_VOL"]
    lam, mj, sj = P["JUMP_RATE"], P["JUMP_MEAN"], P["JUMP_SD"]
    r_det = (mu - lam * mj) / Y
    sig_d = sig * math.sqrt(1 / Y)

    logp = np.full(n, math.log(P["PRICE0"]))
    lfee = np.full(n, math.log(P["FEES0"]))
    lfee_lvl = math.log(P["FEE_LEVEL"])
    lfee_cap = math.log(10.0)  # fee_cap_btc_per_block default of the parameter table
    lpow = np.full(n, math.log(P["POWER0"]))
    lpow_lvl = math.log(P["POWER_LEVEL"])
    lgpu = np.full(n, math.log(2.35))
    ltok = np.full(n, math.log(0.42))
    D = np.full(n, P["DIFFICULTY0"])
    hd = D * two32 / 600.0
    h0 = P["HASHRATE0"] if P["HASHRATE0"] > 0 else hd[0]
    height0 = int(P["HEIGHT0"])
    c = np.full(n, float(height0 + 1))
    inper = (height0 + 1) % 2016
    next_rt = np.full(n, float(height0 + 1 - inper + 2016))
    first = np.full(n, float(start - inper * 600 if inper else start + 600))
    sub = np.full(n, subsidy(height0 + 1))
    next_hv = np.full(n, float(((height0 + 1) // 210000 + 1) * 210000))
    lrev0 = math.log(P["PRICE0"]) + math.log(144 * (subsidy(height0 + 1) + P["FEES0"]))
    ema = np.full(n, P["REV_EMA0"] if P["REV_EMA0"] > 0 else lrev0)
    a, b, g = P["HASH_LEVEL"], P["HASH_ELASTICITY"], P["HASH_TREND"]
    kap, lag, hvol = P["HASH_ADJUST"], P["HASH_LAG"], P["HASH_VOL"]
    years0 = (start - epoch) / (365.25 * 86400)
    dev = math.log(h0) - (a + b * ema + g * years0)
    logh = np.full(n, math.log(h0))

    def arrivals(rate):
        return rng.exponential(1.0, n) / rate if rate > 0 else np.full(n, np.inf)

    nj = arrivals(lam / Y)
    nfs = arrivals(P["FEE_SPIKE_RATE"] / Y)
    nps = arrivals(P["POWER_SPIKE_RATE"] / Y)
    nai = arrivals(ai_rate / Y)
    ndef = arrivals(t_rate / Y)
    relet = np.full(n, np.inf)
    rent = np.ones(n)
    hp_sum = np.zeros(n)

    for d in range(ndays):
        d1 = d + 1.0
        # price
        r = r_det + sig_d * rng.standard_normal(n)
        m = nj < d1
        while m.any():
            k = int(m.sum())
            r[m] += mj + sj * rng.standard_normal(k)
            nj[m] += rng.exponential(1.0, k) / (lam / Y)
            m = nj < d1
        logp += r
        price = np.exp(logp)
        # fees
        lfee += P["FEE_REVERT"] * (lfee_lvl - lfee) + P["FEE_VOL"] * rng.standard_normal(n)
        m = nfs < d1
        while m.any():
            k = int(m.sum())
            lfee[m] += P["FEE_SPIKE_MEAN"] * rng.exponential(1.0, k)
            nfs[m] += rng.exponential(1.0, k) / (P["FEE_SPIKE_RATE"] / Y)
            m = nfs < d1
        np.minimum(lfee, lfee_cap, out=lfee)
        fee = np.exp(lfee)
        # blocks, retargets, halvings
        h = np.exp(logh)
        rem = np.ones(n)
        hp = np.zeros(n)
        active = np.ones(n, dtype=bool)
        while active.any():
            rate = 144.0 * h / hd
            nev = np.minimum(next_rt, next_hv)
            need = (nev - c) / rate
            ev = active & (need < rem)
            fin = active & ~ev
            seg = np.where(ev, need, rem)
            hp += np.where(active, seg * K * (sub + fee) / D, 0.0)
            c = np.where(fin, c + rate * rem, np.where(ev, nev, c))
            rem = np.where(fin, 0.0, np.where(ev, rem - need, rem))
            if ev.any():
                t = start + (d1 - rem) * 86400.0
                rt = ev & (next_rt <= c)
                if rt.any():
                    last = np.floor(t)
                    span = np.clip(last - first, 302400.0, 4838400.0)
                    D = np.where(rt, D * 1209600.0 / span, D)
                    hd = D * two32 / 600.0
                    first = np.where(rt, last + np.floor(600.0 * hd / h), first)
                    next_rt = np.where(rt, next_rt + 2016, next_rt)
                hv = ev & (next_hv <= c)
                if hv.any():
                    sub = np.where(hv, sub * 0.5, sub)
                    next_hv = np.where(hv, next_hv + 210000, next_hv)
            active = rem > 0
        # hashrate
        lrev = logp + np.log(144.0 * (sub + fee))
        ema += (lrev - ema) / lag
        years = (start + d1 * 86400.0 - epoch) / (365.25 * 86400)
        dev = dev * (1.0 - kap) + hvol * rng.standard_normal(n)
        logh = a + b * ema + g * years + dev
        # power
        lpow += P["POWER_REVERT"] * (lpow_lvl - lpow) + P["POWER_VOL"] * rng.standard_normal(n)
        m = nps < d1
        while m.any():
            k = int(m.sum())
            lpow[m] += P["POWER_SPIKE_MEAN"] * rng.exponential(1.0, k)
            nps[m] += rng.exponential(1.0, k) / (P["POWER_SPIKE_RATE"] / Y)
            m = nps < d1
        power = np.exp(lpow)
        # AI
        # trends include the shocks' mean (as lib/scenario.c)
        lgpu += (gpu_trend - ai_rate * gpu_shock) / Y + gpu_vol * math.sqrt(1 / Y) * rng.standard_normal(n)
        ltok += (tok_trend - ai_rate * tok_shock) / Y + tok_vol * math.sqrt(1 / Y) * rng.standard_normal(n)
        m = nai < d1
        while m.any():
            lgpu[m] += gpu_shock
            ltok[m] += tok_shock
            nai[m] += rng.exponential(1.0, int(m.sum())) / (ai_rate / Y)
            m = nai < d1
        gpu = np.exp(lgpu)
        tok = np.exp(ltok)
        # tenant
        m = ndef < d1
        relet = np.where(m, ndef + relet_days, relet)
        ndef = np.where(m, np.inf, ndef)
        m = relet < d1
        if m.any():
            rent = np.where(m, rent * relet_factor, rent)
            ndef = np.where(m, relet + rng.exponential(1.0, n) / (t_rate / Y), ndef)
            relet = np.where(m, np.inf, relet)
        colo = np.where(relet < np.inf, 0.0, rent)
        hp_usd = hp * price
        hp_sum += hp_usd
        del power, gpu, tok, colo
    return hp_sum


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    ndays = int(sys.argv[2]) if len(sys.argv) > 2 else 15 * 365
    t0, c0 = time.perf_counter(), time.process_time()
    zero = len(sys.argv) > 3 and sys.argv[3] == "zero"
    hp_sum = run(n, ndays, zero=zero)
    dt, dc = time.perf_counter() - t0, time.process_time() - c0
    rate, cpu_rate = n * ndays / dt, n * ndays / dc
    print(f"peer_numpy: numpy {np.__version__}, {n} paths x {ndays} days: {dt:.3f} s, {rate:.3g} path-days/s "
          f"({dc:.3f} CPU s, {cpu_rate:.3g} path-days per CPU s); "
          f"mean hashprice over the horizon {hp_sum.mean() / ndays:.6f} USD/PH/day")
    print(f"RESULT peer_numpy path_days_per_s {rate:.6g} path_days_per_cpu_s {cpu_rate:.6g}")


if __name__ == "__main__":
    main()
