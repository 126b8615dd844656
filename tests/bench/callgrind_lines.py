#!/usr/bin/env python3
"""Where a variant's added instructions go, from the outputs of tests/bench/callgrind.sh.

    tests/bench/callgrind_lines.py VARIANT [BASELINE] [--mode unary] [--files] [--top 40]

For each source line (file:line, with inlined code attributed to its own source), the self
cost of one call: (cost of the 2N-call run - cost of the N-call run) / N, the variant's minus
the baseline's. --files sums the lines per file. Reads target/callgrind/VARIANT.MODE.N.out
and .2N.out, so run tests/bench/callgrind.sh for both variants first, with the same N.
"""
import argparse
import collections
import linecache
import os
import re


def parse(path):
    """Self cost per (file, line) of one callgrind output (call costs excluded)."""
    names = {}
    cur_file, last_pos, in_call = None, 0, False
    out = collections.Counter()
    for line in open(path, errors="replace"):
        line = line.rstrip("\n")
        if not line or line[0] == "#":
            continue
        if not (line[0].isdigit() or line[0] in "+-*"):
            key, _, value = line.partition("=")
            match = re.match(r"\((\d+)\)(?: (.*))?", value)
            if key in ("fl", "fi", "fe", "cfl", "cfi") and match:
                if match.group(2) is not None:
                    names[match.group(1)] = match.group(2)
                if key in ("fl", "fi", "fe"):
                    cur_file = names.get(match.group(1))
            elif key == "calls":
                in_call = True
            continue
        parts = line.split()
        pos = parts[0]
        if pos == "*":
            pos = last_pos
        elif pos[0] in "+-":
            pos = last_pos + int(pos)
        else:
            pos = int(pos)
        last_pos = pos
        if in_call:
            in_call = False  # the inclusive cost of a call, not this line's own
            continue
        if cur_file and len(parts) > 1:
            out[(cur_file, pos)] += int(parts[1])
    return out


def per_call(variant, mode):
    """The self cost of one call per line: the N-call and 2N-call runs, as callgrind.sh
    made them (N: CALLGRIND_N, or CALLGRIND_STREAM_N for the streaming modes)."""
    if mode == "unary":
        n = int(os.environ.get("CALLGRIND_N", 2000))
    else:
        n = int(os.environ.get("CALLGRIND_STREAM_N", 20))
    paths = [f"target/callgrind/{variant}.{mode}.{count}.out" for count in (n, 2 * n)]
    for path in paths:
        if not os.path.exists(path):
            raise SystemExit(f"{path} is missing: run tests/bench/callgrind.sh {variant}")
    small, large = parse(paths[0]), parse(paths[1])
    return {k: (large[k] - small[k]) / n for k in set(small) | set(large)}


def main():
    args = argparse.ArgumentParser()
    args.add_argument("variant")
    args.add_argument("baseline", nargs="?")
    args.add_argument("--mode", default="unary")
    args.add_argument("--files", action="store_true")
    args.add_argument("--top", type=int, default=40)
    args = args.parse_args()
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    cost = per_call(args.variant, args.mode)
    if args.baseline:
        base = per_call(args.baseline, args.mode)
        cost = {k: cost.get(k, 0) - base.get(k, 0) for k in set(cost) | set(base)}
    if args.files:
        files = collections.Counter()
        for (path, _), c in cost.items():
            files["/".join(path.split("/")[-2:])] += c
        cost = {(f, 0): c for f, c in files.items()}
    rows = sorted(((c, k) for k, c in cost.items() if abs(c) >= 0.5), key=lambda r: -abs(r[0]))
    print(f"total {sum(c for c, _ in rows):.0f}")
    for c, (path, line) in rows[: args.top]:
        where = "/".join(path.split("/")[-2:]) + (f":{line}" if line else "")
        source = linecache.getline(path, line).strip()[:80] if line else ""
        print(f"{c:8.1f}  {where}  {source}")


main()
