#!/usr/bin/env python3
"""Differential test: random small graphs over every op (deeper_random_graph), compiled by `deeper
compile` and run, against the reference executor (`deeper run`) on the same random inputs and seeded
weights. A compiled value that differs is a silent wrong answer; a crash or an internal error is a
bug; a compile that refuses a graph must say why (a user error), and may not refuse most of them.

Odd seeds compile with every pass (the opt-in ones too), even seeds with the default pipeline; the
reference runs the cleanup passes only, so the optimising passes are checked too.

  test_differential.py --deeper build/deeper --generator build/tests/deeper_random_graph \\
      --work build/differential --seeds 0:16
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time

import numpy as np

EVERY_PASS = ("shape-inference,inference-cleanup,batchnorm-folding,epilogue-fusion,channel-shuffle-fusion,reduce-conv-fusion-everywhere,"
              "sibling-merge,pool-proj-fusion,concat-elision,branch-schedule-everywhere,output-copies,channels-last,elementwise-fusion")
REFERENCE_PASSES = "shape-inference,inference-cleanup"


def run(cmd, timeout=600):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout)


def ports(ir_text):
    """(inputs as (name, shape), output names) of a printed graph."""
    inputs = [(m.group(1), [int(d) for d in m.group(2).split(",")])
              for m in re.finditer(r"^(\S+) = input\(.*\) : f32\[([0-9,]+)\]", ir_text, re.M)]
    outputs = re.findall(r"^output (\S+)", ir_text, re.M)
    return inputs, outputs


def close(got, want):
    """Equal up to float reassociation: within 1e-4 of the reference, relative to its largest value."""
    if got.shape != want.shape:
        return False, f"shape {got.shape} against {want.shape}"
    if not np.array_equal(np.isnan(got), np.isnan(want)):
        return False, "NaN in different places"
    infinite = np.isinf(want)  # a max over a window wholly in padding is -inf in both
    if not np.array_equal(got[infinite], want[infinite]):
        return False, "infinities differ"
    finite = ~np.isnan(want) & ~infinite
    scale = max(1.0, float(np.max(np.abs(want[finite]), initial=0.0)))
    error = float(np.max(np.abs(got[finite] - want[finite]), initial=0.0))
    return error <= 1e-4 * scale, f"max error {error:.3g} at scale {scale:.3g}"


def check_seed(args, seed):
    """Generates the graph of `seed` and checks it (see check_program)."""
    folder = os.path.join(args.work, f"seed{seed}")
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    made = run([args.generator, "--out", folder, str(seed)])
    assert made.returncode == 0, f"generator failed: {made.stdout}"
    return check_program(args, os.path.join(folder, f"random-{seed}.ir"), folder, seed, every_pass=seed % 2 == 1)


def check_program(args, ir, folder, seed, every_pass):
    """'compared', 'refused: ...', or raises AssertionError with what went wrong."""
    os.makedirs(folder, exist_ok=True)
    text = subprocess.run([args.deeper, "ir", ir, "--passes="], stdout=subprocess.PIPE, text=True).stdout
    inputs, outputs = ports(text)
    rng = np.random.default_rng(seed)
    feeds = []
    for name, shape in inputs:
        path = os.path.join(folder, f"in_{len(feeds)}.npy")
        np.save(path, rng.standard_normal(shape).astype(np.float32))
        feeds += ["--input", f"{name}={path}"]
    passes = EVERY_PASS if every_pass else None
    ref = run([args.deeper, "run", ir, "--seed", str(seed), f"--passes={REFERENCE_PASSES}"] + feeds +
              sum((["--output", f"{o}={folder}/ref_{i}.npy"] for i, o in enumerate(outputs)), []))
    assert ref.returncode == 0, f"the reference refused its own graph:\n{ref.stdout}"
    binary = os.path.join(folder, "compiled")
    compile_cmd = [args.deeper, "compile", ir, "-o", binary, "--seed", str(seed), "--jobs", str(args.jobs)]
    if passes:
        compile_cmd.append(f"--passes={passes}")
    compiled = run(compile_cmd)
    if compiled.returncode != 0:
        first = compiled.stdout.strip().splitlines()[0] if compiled.stdout.strip() else "(no message)"
        assert compiled.returncode == 1 and first.startswith(("error:", ir)) and "internal error" not in compiled.stdout, \
            f"compile crashed (status {compiled.returncode}):\n{compiled.stdout}"
        return f"refused: {first}"
    name = re.search(r"^network (\S+)", text, re.M).group(1)
    got = run([os.path.join(binary, name)] + feeds + sum((["--output", f"{o}={folder}/got_{i}.npy"] for i, o in enumerate(outputs)), []))
    assert got.returncode == 0, f"the compiled model failed (status {got.returncode}):\n{got.stdout}"
    for i, o in enumerate(outputs):
        ok, detail = close(np.load(f"{folder}/got_{i}.npy"), np.load(f"{folder}/ref_{i}.npy"))
        assert ok, f"output {o}: compiled differs from the reference: {detail}"
    shutil.rmtree(folder)
    return "compared"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deeper", required=True)
    parser.add_argument("--generator", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--seeds", default="0:16", help="FIRST:END (END excluded)")
    parser.add_argument("--minutes", type=float, default=0, help="instead of a fixed END: keep going this long")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--programs", help="a folder of .dnet programs checked first, with each pipeline")
    args = parser.parse_args()
    first, end = (int(v) for v in args.seeds.split(":"))
    deadline = time.time() + 60 * args.minutes if args.minutes else None
    os.makedirs(args.work, exist_ok=True)
    compared, refused, failed = 0, [], []
    programs = sorted(os.listdir(args.programs)) if args.programs else []
    for program in programs:  # regressions: each must compile and match, with either pipeline
        for every_pass in (False, True):
            label = f"{program} ({'every pass' if every_pass else 'default passes'})"
            try:
                outcome = check_program(args, os.path.join(args.programs, program),
                                        os.path.join(args.work, program + ("-all" if every_pass else "")), 0, every_pass)
                assert outcome == "compared", outcome
                compared += 1
            except AssertionError as e:
                failed.append(label)
                print(f"{label}: FAIL: {e}", flush=True)
    seed = first
    while (deadline and time.time() < deadline) or (not deadline and seed < end):
        try:
            outcome = check_seed(args, seed)
        except AssertionError as e:
            failed.append(seed)
            print(f"seed {seed}: FAIL: {e}\n  program: {args.work}/seed{seed}/random-{seed}.ir", flush=True)
        else:
            if outcome == "compared":
                compared += 1
            else:
                refused.append(seed)
                print(f"seed {seed}: {outcome}", flush=True)
        seed += 1
    total = compared + len(refused) + len(failed)
    print(f"differential: {total} graphs ({len(programs)} regression programs with each pipeline, then random ones), "
          f"{compared} compiled and equal to the reference, "
          f"{len(refused)} refused with a reason, {len(failed)} failed")
    if failed or compared < total / 2:
        print(f"{0 if failed else 1} passed, 1 failed")
        return 1
    print("1 passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
