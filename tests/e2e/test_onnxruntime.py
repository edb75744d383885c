#!/usr/bin/env python3
"""ONNX Runtime runs exactly what Deeper compiles.

`deeper export-onnx` writes GoogLeNet (seeded weights) as ONNX; ONNX Runtime (npm onnxruntime-node,
installed by scripts/install-ort) runs it; `deeper compile` builds the same network with the same
weights; both run one seeded input per batch size. Logits must agree to 1e-4 relative (max abs
difference / max abs logit), softmax to 1e-5 absolute.
"""
import argparse
import os
import shutil
import subprocess
import sys

import numpy as np

OUTPUTS = ["prob", "loss3/classifier"]
results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(f"{'PASS' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}", flush=True)


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        print(" ".join(cmd), r.stdout, r.stderr, sep="\n")
    return r


def compare(args, batch):
    work = os.path.join(args.work, f"b{batch}")
    os.makedirs(work)
    onnx = os.path.join(work, "googlenet.onnx")
    common = [args.model, "--seed", "0", "--batch", str(batch), "--outputs=" + ",".join(OUTPUTS)]
    if run([args.deeper, "export-onnx", *common, "-o", onnx]).returncode != 0:
        return check(f"export batch {batch}", False)
    if run([args.deeper, "compile", *common, "-o", work]).returncode != 0:
        return check(f"compile batch {batch}", False)
    x = (np.random.default_rng(batch).random((batch, 3, 224, 224), dtype=np.float32) * 2 - 1).astype(np.float32)
    x.tofile(os.path.join(work, "x.f32"))
    np.save(os.path.join(work, "x.npy"), x)
    ort_args = [f"data={work}/x.f32:{batch},3,224,224"] + [f"{o}={work}/ort{i}.f32" for i, o in enumerate(OUTPUTS)]
    env = dict(os.environ, NODE_PATH=os.path.join(args.ort, "node_modules"))
    if run(["node", os.path.join(args.here, "ort_run.js"), onnx, *ort_args], env=env).returncode != 0:
        return check(f"ONNX Runtime runs the exported model (batch {batch})", False)
    exe = [os.path.join(work, "googlenet"), "--input", os.path.join(work, "x.npy")]
    for i, o in enumerate(OUTPUTS):
        exe += ["--output", f"{o}={work}/ours{i}.npy"]
    if run(exe).returncode != 0:
        return check(f"compiled model runs (batch {batch})", False)
    ort = [np.fromfile(f"{work}/ort{i}.f32", np.float32).reshape(batch, -1) for i in range(2)]
    mine = [np.load(f"{work}/ours{i}.npy").reshape(batch, -1) for i in range(2)]
    prob_diff = float(np.abs(ort[0] - mine[0]).max())
    logit_rel = float(np.abs(ort[1] - mine[1]).max() / np.abs(ort[1]).max())
    check(f"batch {batch}: Deeper compiled == ONNX Runtime", prob_diff <= 1e-5 and logit_rel <= 1e-4,
          f"logits relative diff {logit_rel:.2e}, softmax max abs diff {prob_diff:.2e}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--deeper", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--ort", required=True, help="folder with node_modules/onnxruntime-node")
    parser.add_argument("--install-ort", required=True)
    args = parser.parse_args()
    args.here = os.path.dirname(os.path.abspath(__file__))
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    r = run([args.install_ort, args.ort])
    check("ONNX Runtime installed", r.returncode == 0)
    if r.returncode == 0:
        for batch in (1, 3):
            compare(args, batch)
    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
