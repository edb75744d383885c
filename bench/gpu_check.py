#!/usr/bin/env python3
"""The paper GoogLeNet on a GPU: Deeper's compiled executables against PyTorch on the same device.

  weights OUT.safetensors      the network's weights from numpy's seeded generator (bit-identical on
                               any machine and numpy version), so that the device machine rebuilds
                               exactly the weights Deeper's builds were compiled with here
  run BUILDS [--batches "1 64"] [--torch-batches "1 8 64"] [--device cuda] [--runs N]
                               each build BUILDS/b<batch>/googlenet on a seeded input against PyTorch's
                               output (fp32 on the CPU), then median milliseconds per batch: Deeper's
                               executable (--bench), PyTorch eager and PyTorch replaying a CUDA graph

The PyTorch network is tests/torch/test_googlenet_torch.py's independent definition. TF32 is off:
both sides compute in fp32. A benchmark, not a test: no threshold anywhere (bench/gpu drives it).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "torch"))


def seeded_weights(seed=16):
    """He-uniform weights and small biases per layer, from numpy's RandomState (stable across versions)."""
    import test_googlenet_torch as paper  # noqa: E402  (torch is imported there; the weights need only numpy)

    rng = np.random.RandomState(seed)
    tensors = {}
    for key, module in paper.GoogLeNet().layers.items():
        name = key.replace("|", "/")
        shape = tuple(module.weight.shape)
        bound = np.sqrt(6.0 / int(np.prod(shape[1:])))
        tensors[name + ".weight"] = rng.uniform(-bound, bound, shape).astype(np.float32)
        tensors[name + ".bias"] = rng.uniform(-0.05, 0.05, shape[:1]).astype(np.float32)
    return tensors


def torch_model(device):
    import torch
    import test_googlenet_torch as paper

    model = paper.GoogLeNet().eval()
    with torch.no_grad():
        for key, module in model.layers.items():
            name = key.replace("|", "/")
            module.weight.copy_(torch.from_numpy(WEIGHTS[name + ".weight"]))
            module.bias.copy_(torch.from_numpy(WEIGHTS[name + ".bias"]))
    return model.to(device)


def seeded_input(batch):
    return (np.random.RandomState(1000 + batch).rand(batch, 3, 224, 224) * 2 - 1).astype(np.float32)


def median_ms(fn, runs, synchronize):
    for _ in range(3):
        fn()
    synchronize()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        synchronize()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def deeper_check(builds, batch, reference, workdir):
    exe = os.path.join(builds, "b%d" % batch, "googlenet")
    x, y = os.path.join(workdir, "x%d.npy" % batch), os.path.join(workdir, "y%d.npy" % batch)
    np.save(x, seeded_input(batch))
    subprocess.run([exe, "--input", x, "--output", y], check=True, stdout=subprocess.DEVNULL)
    got = np.load(y)
    same_class = bool((got.argmax(1) == reference.argmax(1)).all())
    return float(np.abs(got - reference).max()), same_class


def deeper_ms(builds, batch, runs):
    exe = os.path.join(builds, "b%d" % batch, "googlenet")
    out = subprocess.run([exe, "--bench", str(runs)], check=True, capture_output=True, text=True).stdout
    return float(out.split("median_ms=")[1].split()[0])


def torch_times(model, batch, device, runs):
    import torch

    x = torch.from_numpy(seeded_input(batch)).to(device)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    with torch.no_grad():
        eager = median_ms(lambda: model(x), runs, sync)
        graph_ms = None
        if device == "cuda":
            stream = torch.cuda.Stream()
            stream.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(stream):
                for _ in range(3):
                    model(x)
            torch.cuda.current_stream().wait_stream(stream)
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                model(x)
            graph_ms = median_ms(graph.replay, runs, sync)
    return eager, graph_ms


def run(args):
    import tempfile

    import torch

    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    cpu = torch_model("cpu")
    print("device: %s" % (torch.cuda.get_device_name(0) if args.device == "cuda" else "cpu"))
    print("correctness: Deeper's softmax output against PyTorch's (fp32, CPU), same weights and input")
    with tempfile.TemporaryDirectory() as workdir:
        for batch in [int(b) for b in args.batches.split()]:
            with torch.no_grad():
                reference = cpu(torch.from_numpy(seeded_input(batch)))[1].numpy()
            diff, same = deeper_check(args.builds, batch, reference, workdir)
            print("  batch %-3d max abs difference %.2e, same top-1 class for every image: %s" % (batch, diff, same))
    model = torch_model(args.device)
    print("median ms per batch (%d runs each; Deeper: the executable's --bench)" % args.runs)
    print("  %-6s %10s %12s %14s" % ("batch", "deeper_ms", "torch_eager", "torch_graph"))
    built = {int(b) for b in args.batches.split()}
    for batch in sorted(built | {int(b) for b in args.torch_batches.split()}):
        d = "%.3f" % deeper_ms(args.builds, batch, args.runs) if batch in built else "-"
        eager, graph_ms = torch_times(model, batch, args.device, args.runs)
        print("  %-6d %10s %12.3f %14s" % (batch, d, eager, "-" if graph_ms is None else "%.3f" % graph_ms))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("weights")
    w.add_argument("out")
    r = sub.add_parser("run")
    r.add_argument("builds")
    r.add_argument("--batches", default="1 64")
    r.add_argument("--torch-batches", default="1 8 64")
    r.add_argument("--device", default="cuda")
    r.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    global WEIGHTS
    WEIGHTS = seeded_weights()
    if args.command == "weights":
        import test_googlenet_torch as paper

        paper.write_safetensors(args.out, WEIGHTS)
    else:
        run(args)


if __name__ == "__main__":
    main()
