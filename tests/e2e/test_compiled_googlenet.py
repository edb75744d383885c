#!/usr/bin/env python3
"""Compiled GoogLeNet against the reference executor, and the compiled artefacts as a user meets them.

For targets host and x86-64-linux-avx2, batch 1 and 4: `deeper compile` (seeded weights), run the
executable on a seeded input (host: on one thread and on all, so lanes run in either order), compare
with `deeper run` (the reference executor): logits to 1e-4 relative (max abs difference / max abs
logit), softmax to 1e-5 absolute. The same at batch 2 with every pass on, opt-in ones too. Then: a C and a C++ program
built against the header and library (the C++ one runs two contexts in two threads), the executable's
--top5 and --bench lines, and a truncated, corrupted or foreign weights file, each a clear error.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys

import numpy as np

OUTPUTS = "prob,loss3/classifier"
results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(f"{'PASS' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}", flush=True)


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def compile_model(args, target, batch, out, passes=None):
    r = run([args.deeper, "compile", args.model, "-o", out, "--target", target, "--batch", str(batch),
             "--outputs=" + OUTPUTS, "--seed", "0"] + (["--passes=" + ",".join(passes)] if passes else []))
    if r.returncode != 0:
        print(r.stdout, r.stderr)
    return r.returncode == 0


def compare(args, target, batch, work, passes=None, label="", threads=(None,)):
    name = f"{target} batch {batch}{label}"
    out = os.path.join(work, f"{target}-b{batch}{label.replace(' ', '-')}")
    if not compile_model(args, target, batch, out, passes):
        return check(f"compile {name}", False)
    rng = np.random.default_rng(batch)
    x = (rng.random((batch, 3, 224, 224), dtype=np.float32) * 2 - 1).astype(np.float32)
    xp = os.path.join(out, "x.npy")
    np.save(xp, x)
    r = run([args.deeper, "run", args.model, "--seed", "0", "--input", xp, "--outputs=" + OUTPUTS,
             "--output", "prob=" + out + "/rp.npy", "--output", "loss3/classifier=" + out + "/rl.npy"])
    if r.returncode != 0:
        return check(f"reference {name}", False, r.stderr)
    rp, rl = np.load(out + "/rp.npy"), np.load(out + "/rl.npy")
    for t in threads:  # None: Halide's default, one thread per core
        r = run([os.path.join(out, "googlenet")] + (["--threads", t] if t else []) + ["--input", xp, "--output", "prob=" + out + "/p.npy",
                 "--output", "loss3/classifier=" + out + "/l.npy"])
        if r.returncode != 0:
            check(f"run {name}", False, r.stderr)
            continue
        p, l = np.load(out + "/p.npy"), np.load(out + "/l.npy")
        rel = float(np.abs(l - rl).max() / np.abs(rl).max())
        absp = float(np.abs(p - rp).max())
        check(f"{name}{f', {t} thread' if t else ''} matches the reference executor",
              p.shape == (batch, 1000) and rel <= 1e-4 and absp <= 1e-5, f"logits relative diff {rel:.2e}, softmax max abs diff {absp:.2e}")
    return out


def every_pass(args, work):
    """Every pass on, opt-in ones too: fusion everywhere, or merged reduces run before the lanes."""
    listed = run([args.deeper, "passes"]).stdout.split("\n")
    every = [line.split()[0] for line in listed if line.strip()]
    compare(args, "host", 2, work, every, " every pass", ("1", None))
    no_fusion = [p for p in every if not p.startswith("reduce-conv-fusion")]
    compare(args, "host", 2, work, no_fusion, " every pass but reduce fusion", ("1", None))


def clients(args, work):
    out = os.path.join(work, "clients")
    if not compile_model(args, "host", 1, out):
        return check("compile for clients", False)
    # Single-output build for the C API's one-in, one-out run().
    r = run([args.deeper, "compile", args.model, "-o", out, "--seed", "0"])
    check("compile (declared outputs)", r.returncode == 0, r.stdout.strip().splitlines()[0] if r.stdout else r.stderr)
    lib, weights = os.path.join(out, "libgooglenet.a"), os.path.join(out, "googlenet.weights")
    r = run([args.cc, "-O1", "-I" + out, os.path.join(args.here, "client.c"), lib, "-lpthread", "-ldl", "-lm", "-lstdc++",
             "-o", out + "/client_c"])
    check("C program builds against the header and library", r.returncode == 0, r.stderr[-500:])
    exe = run([os.path.join(out, "googlenet"), "--top5"])
    c = run([out + "/client_c", weights]) if r.returncode == 0 else None
    top = re.search(r"top-5:\s+(\d+):([0-9.]+)", exe.stdout)
    ctop = re.search(r"top-1 (\d+):([0-9.]+)", c.stdout) if c else None
    check("C program runs and agrees with the executable", bool(top and ctop and top.groups() == ctop.groups()),
          (c.stdout + c.stderr).strip() if c else "")
    r = run([args.cxx, "-O1", "-std=c++17", "-I" + out, os.path.join(args.here, "client_threads.cpp"), lib, "-lpthread",
             "-ldl", "-o", out + "/client_threads"])
    t = run([out + "/client_threads", weights]) if r.returncode == 0 else None
    check("C++ program: two contexts in two threads give single-threaded results", bool(t and t.returncode == 0),
          (t.stdout + t.stderr).strip() if t else r.stderr[-500:])
    b = run([os.path.join(out, "googlenet"), "--bench", "5", "--threads", "2"])
    check("--bench prints a parseable line", bool(re.fullmatch(
        r"median_ms=[0-9.]+ min_ms=[0-9.]+ max_ms=[0-9.]+ images_per_s=[0-9.]+", b.stdout.strip().splitlines()[-1])), b.stdout.strip())
    many = run([os.path.join(out, "googlenet"), "--threads", "100000"])  # aborted on std::system_error before
    check("--threads 100000 is a clear error", many.returncode == 1 and "0 (one per core) to 256" in many.stderr, many.stderr.strip())
    bad_weights(out, weights, work)


def bad_weights(out, weights, work):
    exe = os.path.join(out, "googlenet")
    data = open(weights, "rb").read()
    cases = {
        "truncated": (data[: len(data) // 2], "truncated"),
        "corrupted": (data[:-100] + bytes([data[-100] ^ 0xFF]) + data[-99:], "checksum"),
        "not weights": (b"hello world" * 10, "bad magic"),
    }
    for name, (content, expect) in cases.items():
        path = os.path.join(out, "bad.weights")
        open(path, "wb").write(content)
        r = run([exe, "--weights", path])
        check(f"{name} weights file is a clear error", r.returncode == 1 and expect in r.stderr, r.stderr.strip())
    other = os.path.join(work, "host-b4", "googlenet.weights")
    if os.path.exists(other):
        r = run([exe, "--weights", other])
        check("weights of another build are refused", r.returncode == 1 and "another model" in r.stderr, r.stderr.strip())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--deeper", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--cc", default="cc")
    parser.add_argument("--cxx", default="c++")
    args = parser.parse_args()
    args.here = os.path.dirname(os.path.abspath(__file__))
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    for target in ("host", "x86-64-linux-avx2"):
        for batch in (1, 4):
            compare(args, target, batch, args.work, threads=("1", None) if target == "host" else (None,))
    every_pass(args, args.work)
    clients(args, args.work)
    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if all(results) and results else 1


if __name__ == "__main__":
    sys.exit(main())
