"""checker.py - the evaluator behind `check` in tests/e2e/lib.bash: one
Python for a whole test script instead of one per check (a start costs
30 ms; a script checks hundreds of times).

Reads requests from stdin, each four NUL-terminated fields: a Python
expression, the body file, the header file and the status. Answers each
with one line: "ok" when the expression is true, else "fail" and why.
The expression sees j (the body as JSON, or None), t (the body text),
s (the status as int, -1 if none), h (headers, lower-case names),
approx(a, b, rel=1e-12) and the json and math modules."""
import json
import math
import os
import sys


def approx(a, b, rel=1e-12, abs_=1e-15):
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(approx(x, y, rel, abs_) for x, y in zip(a, b))
    return abs(a - b) <= max(abs_, rel * max(abs(a), abs(b)))


def evaluate(expr, bf, hf, st):
    try:
        with open(bf, encoding="utf-8", errors="replace") as f:
            t = f.read()
        try:
            j = json.loads(t)
        except ValueError:
            j = None
        h = {}
        with open(hf, encoding="latin-1") as f:
            for line in f:
                if ":" in line:
                    k, v = line.split(":", 1)
                    h[k.strip().lower()] = v.strip()
        s = int(st) if st.isdigit() else -1
        names = {"json": json, "math": math, "sys": sys, "approx": approx, "t": t, "j": j, "h": h, "s": s}
        return "ok" if eval(expr, names) else "fail"
    except Exception as exc:  # a missing file or the expression's error fails the check
        return "fail exception: %r" % (exc,)


def main():
    buf = b""
    while True:
        while buf.count(b"\0") < 4:
            chunk = os.read(0, 65536)
            if not chunk:
                return
            buf += chunk
        fields = buf.split(b"\0", 4)
        buf = fields[4]
        expr, bf, hf, st = (f.decode("utf-8", "replace") for f in fields[:4])
        answer = evaluate(expr, bf, hf, st)
        sys.stdout.write(answer.replace("\n", " ") + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
