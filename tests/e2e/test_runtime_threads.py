#!/usr/bin/env python3
"""The runtime under ThreadSanitizer: compiles a small inception-style model (branches side by side,
parallel loops), builds tests/e2e/client_stress.cpp with -fsanitize=thread against the runtime's
sources (runtime/runtime.cpp, runtime/thread_pool.cpp) and the model's kernels (not instrumented),
and runs it: 16 threads x 200 runs on a context each, bit-identical to single-threaded runs, and two
threads sharing a context, each call run correctly or refused as busy. A data race ThreadSanitizer
sees fails the test.
"""
import argparse
import os
import shutil
import subprocess
import sys

MODEL = """network stress
x  = input(shape=16x14x14)
c  = conv(x, out=32, kernel=3, pad=1, relu=true)
b1 = conv(c, out=16, kernel=1, relu=true)
r3 = conv(c, out=16, kernel=1, relu=true)
b3 = conv(r3, out=24, kernel=3, pad=1, relu=true)
r5 = conv(c, out=8, kernel=1, relu=true)
b5 = conv(r5, out=8, kernel=5, pad=2, relu=true)
p  = maxpool(c, kernel=3, pad=1)
bp = conv(p, out=8, kernel=1, relu=true)
m  = concat(b1, b3, b5, bp)
g  = avgpool(m, kernel=14)
f  = fc(g, out=10)
y  = softmax(f)
output y
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deeper", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--runtime", required=True, help="the runtime/ folder")
    parser.add_argument("--halide-include", required=True)
    parser.add_argument("--clang", default="clang++-14")
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    model = os.path.join(args.work, "stress.dnet")
    with open(model, "w") as f:
        f.write(MODEL)
    out = os.path.join(args.work, "stress")
    r = subprocess.run([args.deeper, "compile", model, "-o", out, "--seed", "3"], capture_output=True, text=True)
    if r.returncode != 0:
        print(r.stdout, r.stderr)
        print("0 passed, 1 failed")
        return 1
    glue = open(os.path.join(out, "stress_glue.cpp")).read()
    print(f"compiled: {glue.count('(group')} steps in lanes of branch groups")
    client = os.path.join(args.work, "client_stress")
    here = os.path.dirname(os.path.abspath(__file__))
    build = [args.clang, "-std=c++17", "-O1", "-g", "-fsanitize=thread", "-DMODEL_HEADER=\"stress.h\"", "-DMODEL_INFO=stress_model",
             "-I", out, "-I", args.runtime, "-I", args.halide_include,
             os.path.join(here, "client_stress.cpp"), os.path.join(out, "stress_glue.cpp"),
             os.path.join(args.runtime, "runtime.cpp"), os.path.join(args.runtime, "thread_pool.cpp"),
             os.path.join(out, "libstress.a"), "-lpthread", "-ldl", "-o", client]
    r = subprocess.run(build, capture_output=True, text=True)
    if r.returncode != 0:
        print(" ".join(build), r.stdout, r.stderr)
        print("0 passed, 1 failed")
        return 1
    env = dict(os.environ, TSAN_OPTIONS="halt_on_error=1 exitcode=66", HL_NUM_THREADS="4")
    r = subprocess.run([client, os.path.join(out, "stress.weights")], capture_output=True, text=True, env=env, timeout=900)
    print(r.stdout, r.stderr[-6000:])
    ok = r.returncode == 0
    print(f"{'1 passed, 0 failed' if ok else '0 passed, 1 failed'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
