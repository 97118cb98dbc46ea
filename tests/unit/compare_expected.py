#!/usr/bin/env python3
"""compare_expected.py COMMITTED FRESH - does FRESH (realdata_expected.h
made anew from this machine's sklearn) say what COMMITTED says?

The text must be the same but for the sklearn version comment, and every
number the same within 8 units in the last place: another sklearn (Debian
13's 1.4 against Debian 12's 1.2) sums in another order and may end a
float one ulp away (an F1 of 0.3529411764705882 against ...826); what
the check is for, sklearn answering otherwise, moves far more digits.
Prints the first difference and exits 1, else exits 0."""
import math
import re
import sys

NUM = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def lines(path):
    with open(path, encoding="utf-8") as f:
        return [l for l in f.read().splitlines() if not l.startswith("/* sklearn ")]


def close(a, b):
    if a == b:
        return True
    x, y = float(a), float(b)
    if math.isnan(x) and math.isnan(y):
        return True
    return abs(x - y) <= 8 * math.ulp(max(abs(x), abs(y)))


def main():
    old, new = lines(sys.argv[1]), lines(sys.argv[2])
    if len(old) != len(new):
        print(f"{sys.argv[2]}: {len(new)} lines, {sys.argv[1]} has {len(old)}")
        return 1
    for n, (a, b) in enumerate(zip(old, new), 1):
        if NUM.sub("#", a) != NUM.sub("#", b):
            print(f"line {n} differs:\n- {a}\n+ {b}")
            return 1
        for x, y in zip(NUM.findall(a), NUM.findall(b)):
            if not close(x, y):
                print(f"line {n}: {x} against {y} (more than 8 ulp apart):\n- {a}\n+ {b}")
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
