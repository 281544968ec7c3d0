#!/usr/bin/env python3
"""Evaluator benchmark: the same programs in sx, Lua 5.4 and CPython, timed
in one run, medians of N, with the ratio sx / peer.

  bench_eval.py SEXP_BINARY [REPEATS]

Each program is in bench/eval/NAME.{sx,lua,py} and prints one number; the
three outputs must agree. Times are wall time of the whole process, which
includes start-up (a few ms for each; the programs run for 0.1-1 s)."""
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "eval")
PROGRAMS = ("fib", "closures", "lists")


def timed(cmd):
    start = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()
    return time.perf_counter() - start, out


def main():
    sexp = sys.argv[1]
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    runners = {
        "sx": lambda p: [sexp, "eval", os.path.join(HERE, p + ".sx")],
        "lua5.4": lambda p: ["lua5.4", os.path.join(HERE, p + ".lua")],
        "python3": lambda p: ["/usr/bin/python3", os.path.join(HERE, p + ".py")],
    }
    print("medians of %d (seconds, whole process)" % repeats)
    print("%-10s %8s %8s %8s   %s" % ("program", "sx", "lua5.4", "python3", "sx/lua  sx/python"))
    for prog in PROGRAMS:
        times, outputs = {}, {}
        for _ in range(repeats):  # interleaved, so drift hits all three alike
            for name, cmd in runners.items():
                t, out = timed(cmd(prog))
                times.setdefault(name, []).append(t)
                outputs[name] = out
        if len(set(outputs.values())) != 1:
            sys.exit("%s: outputs differ: %r" % (prog, outputs))
        med = {k: statistics.median(v) for k, v in times.items()}
        print("%-10s %8.3f %8.3f %8.3f   %6.2f  %6.2f" %
              (prog, med["sx"], med["lua5.4"], med["python3"],
               med["sx"] / med["lua5.4"], med["sx"] / med["python3"]))


if __name__ == "__main__":
    main()
