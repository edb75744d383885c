#!/usr/bin/env python3
"""ONNX's backend node tests (Debian libonnx-testdata) through `deeper run`, the reference executor, and
through compiled kernels (`deeper compile`, then the model's executable).

For every test of an op Deeper imports: its model, its input_*.pb as --input NAME=FILE.pb, its
outputs written as .npy and compared with output_*.pb (rtol 1e-3, atol 1e-5, as ONNX's own runner).
Many tests pass weights (Conv's W, Gemm's B, BatchNormalization's statistics) as graph inputs; Deeper
compiles weights as constants, so when the model is refused with its inputs computed (a constant is
needed there, or an operand has no batch axis), every input but the first is bound as a constant
(--bind NAME=FILE.pb), as TVM binds params.
A test whose model Deeper refuses (a 1-D or 3-D pooling, an attribute Deeper does not support yet) is
listed with Deeper's reason, not counted as a failure; a wrong number or a crash is a failure.
A test that passes in the reference executor is then compiled; a model code generation refuses (one
with no computing node, say) counts as unsupported there. Prints pass / unsupported / fail per op.
"""
import argparse
import collections
import glob
import os
import subprocess
import sys
import tempfile

import numpy as np

IMPORTED = {"conv", "relu", "maxpool", "averagepool", "globalaveragepool", "lrn", "concat", "gemm", "matmul",
            "flatten", "reshape", "dropout", "softmax", "logsoftmax", "batchnorm", "identity", "constant", "pad", "add", "sub",
            "mul", "div", "pow", "max", "min", "sigmoid", "tanh", "exp", "log", "sqrt", "neg", "abs", "erf", "clip",
            "leakyrelu", "hardsigmoid", "hardswish", "reducemean", "reducemax", "reducesum", "prelu", "globalmaxpool",
            "expand", "transpose", "split", "squeeze", "unsqueeze", "slice", "gather", "shape", "cast", "where", "equal",
            "greater", "less", "not", "range", "constantofshape", "convtranspose"}
# Tests named after something other than their op.
RENAMED = {"basic_conv_with_padding": "conv", "basic_conv_without_padding": "conv", "constant_pad": "pad",
           "edge_pad": "pad", "reflect_pad": "pad"}


# Ops whose snake-case names have underscores (test_reduce_sum_square_... is ReduceSumSquare), longest first.
SNAKE_OPS = ["reduce_log_sum_exp", "reduce_log_sum", "reduce_sum_square", "reduce_l1", "reduce_l2", "reduce_max",
             "reduce_mean", "reduce_min", "reduce_prod", "reduce_sum"]


def op_of(test):
    name = os.path.basename(test)[len("test_"):]
    for op in SNAKE_OPS:
        if name == op or name.startswith(op + "_"):
            return op.replace("_", "")
    return RENAMED.get(name, name.split("_")[0])


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True)


class Case:
    """One test's files, each ONNX .pb converted once (`deeper tensor`) into an .npy of `work`, and
    which of its inputs must be bound as constants (decided once, by importing the model)."""

    def __init__(self, deeper, test, work):
        self.deeper, self.model = deeper, os.path.join(test, "model.onnx")
        data = sorted(glob.glob(os.path.join(test, "test_data_set_*")))[0]
        self.inputs = [self.tensor(pb, os.path.join(work, f"in{i}.npy"))
                       for i, pb in enumerate(sorted(glob.glob(os.path.join(data, "input_*.pb"))))]
        self.outputs = [self.tensor(pb, os.path.join(work, f"expected{i}.npy"))
                        for i, pb in enumerate(sorted(glob.glob(os.path.join(data, "output_*.pb"))))]
        self.bind, self.refused = [], ""
        r = run([deeper, "ir", self.model, "--passes="])
        if r.returncode != 0 and len(self.inputs) > 1:  # e.g. weights or a 1-D operand passed as inputs: bind them
            self.bind, self.inputs = self.inputs[1:], self.inputs[:1]
            r = run([deeper, "ir", self.model, "--passes="] + self.bind_args())
        if r.returncode != 0:
            self.refused = r.stderr.strip().splitlines()[0] if r.stderr.strip() else f"exit {r.returncode}"

    def tensor(self, pb, npy):
        """(name, pb, npy) of one tensor file."""
        r = run([self.deeper, "tensor", pb, "-o", npy])
        if r.returncode != 0:
            raise RuntimeError(r.stderr.strip())
        return r.stdout.split()[0], pb, npy

    def bind_args(self):
        return [a for name, pb, _ in self.bind for a in ("--bind", f"{name}={pb}")]


def check_case(case, work):
    """`deeper run` (the reference executor): ("pass" | "unsupported" | "fail", detail)."""
    if case.refused:
        return "unsupported", case.refused
    cmd = [case.deeper, "run", case.model, "--verify-each"] + case.bind_args()
    for name, pb, _ in case.inputs:
        cmd += ["--input", f"{name}={pb}"]
    expected = [(name, npy, os.path.join(work, f"ours{i}.npy")) for i, (name, _, npy) in enumerate(case.outputs)]
    for name, _, ours in expected:
        cmd += ["--output", f"{name}={ours}"]
    r = run(cmd)
    if r.returncode != 0:
        kind = "fail" if r.returncode != 1 else "unsupported"
        return kind, (r.stderr.strip().splitlines() or [f"exit {r.returncode}"])[0]
    return compare(expected)


def compare(expected):
    for name, want, ours in expected:
        a, b = np.load(ours), np.load(want)
        if a.shape != b.shape or not np.allclose(a, b, rtol=1e-3, atol=1e-5):
            diff = float(np.abs(a - b).max()) if a.shape == b.shape else float("nan")
            return "fail", f"output '{name}': shape {a.shape} vs {b.shape}, max diff {diff:.3g}"
    return "pass", ""


def check_compiled(case, work):
    """The same case through `deeper compile` and the executable; run after check_case passed."""
    out = os.path.join(work, "compiled-" + os.path.basename(os.path.dirname(case.model)))
    r = run([case.deeper, "compile", case.model, "-o", out] + case.bind_args())
    if r.returncode != 0:
        kind = "fail" if r.returncode != 1 else "unsupported"
        return kind, (r.stderr.strip().splitlines() or [f"exit {r.returncode}"])[-1]
    exe = os.path.join(out, [f for f in os.listdir(out) if f.endswith(".weights")][0][: -len(".weights")])
    cmd = [exe]
    for name, _, npy in case.inputs:
        cmd += ["--input", f"{name}={npy}"]
    expected = [(name, npy, os.path.join(work, f"compiled{i}.npy")) for i, (name, _, npy) in enumerate(case.outputs)]
    for name, _, ours in expected:
        cmd += ["--output", f"{name}={ours}"]
    r = run(cmd)
    if r.returncode != 0:
        return "fail", (r.stderr.strip().splitlines() or [f"exit {r.returncode}"])[0]
    return compare(expected)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--deeper", required=True)
    parser.add_argument("--data", default="/usr/share/libonnx-testdata/data/node")
    args = parser.parse_args()
    tests = [t for t in sorted(glob.glob(os.path.join(args.data, "test_*"))) if op_of(t) in IMPORTED]
    counts = collections.defaultdict(collections.Counter)
    failures = []
    with tempfile.TemporaryDirectory() as work:
        for test in tests:
            try:
                case = Case(args.deeper, test, work)
            except RuntimeError as e:  # a tensor file Deeper cannot read (a type it does not support)
                counts[op_of(test)][("reference", "unsupported")] += 1
                print(f"{'reference':<9} {'unsupported':<11} {os.path.basename(test)}: {str(e).splitlines()[0]}")
                continue
            for path, check in (("reference", check_case), ("compiled", check_compiled)):
                kind, detail = check(case, work)
                counts[op_of(test)][(path, kind)] += 1
                if kind != "pass":
                    print(f"{path:<9} {kind:<11} {os.path.basename(test)}: {detail}")
                if kind == "fail":
                    failures.append(test)
                if kind != "pass":
                    break  # a case the reference executor cannot run is not compiled
    header = "".join(f"{p + ' ' + k:>22}" for p in ("reference", "compiled") for k in ("pass", "unsupported", "fail"))
    print(f"\n{'op':<18}{header}")
    for op in sorted(counts):
        c = counts[op]
        print(f"{op:<18}" + "".join(f"{c[(p, k)]:>22}" for p in ("reference", "compiled") for k in ("pass", "unsupported", "fail")))
    total = collections.Counter()
    for c in counts.values():
        for (path, kind), n in c.items():
            total[kind] += n
    print(f"\n{total['pass']} passed, {total['fail']} failed, {total['unsupported']} skipped")
    return 0 if tests and not failures else 1


if __name__ == "__main__":
    sys.exit(main())
