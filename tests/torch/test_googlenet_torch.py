#!/usr/bin/env python3
"""The reference executor against PyTorch on GoogLeNet.

An independent PyTorch definition of the paper network (Caffe semantics: ceil-mode max pools, LRN with
alpha/size, 7x7 average pool) gets seeded He-uniform weights. The test writes them as safetensors and a
seeded input as .npy, runs `deeper run models/googlenet.dnet --weights ... --input ...`, and compares:
softmax output to 1e-5 max abs difference, logits to 1e-4 relative (max abs difference / max abs logit).
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# (name, in, #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj), Table 1 of the paper.
INCEPTION = [
    ("inception_3a", 192, 64, 96, 128, 16, 32, 32),
    ("inception_3b", 256, 128, 128, 192, 32, 96, 64),
    ("inception_4a", 480, 192, 96, 208, 16, 48, 64),
    ("inception_4b", 512, 160, 112, 224, 24, 64, 64),
    ("inception_4c", 512, 128, 128, 256, 24, 64, 64),
    ("inception_4d", 512, 112, 144, 288, 32, 64, 64),
    ("inception_4e", 528, 256, 160, 320, 32, 128, 128),
    ("inception_5a", 832, 256, 160, 320, 32, 128, 128),
    ("inception_5b", 832, 384, 192, 384, 48, 128, 128),
]


class GoogLeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleDict()  # keyed by BVLC layer name ('/' is not allowed in keys: mapped to '|')

        def conv(name, cin, cout, k, stride=1, pad=0):
            self.layers[name.replace("/", "|")] = nn.Conv2d(cin, cout, k, stride, pad)

        conv("conv1/7x7_s2", 3, 64, 7, 2, 3)
        conv("conv2/3x3_reduce", 64, 64, 1)
        conv("conv2/3x3", 64, 192, 3, 1, 1)
        for name, cin, c1, r3, c3, r5, c5, pp in INCEPTION:
            conv(name + "/1x1", cin, c1, 1)
            conv(name + "/3x3_reduce", cin, r3, 1)
            conv(name + "/3x3", r3, c3, 3, 1, 1)
            conv(name + "/5x5_reduce", cin, r5, 1)
            conv(name + "/5x5", r5, c5, 5, 1, 2)
            conv(name + "/pool_proj", cin, pp, 1)
        self.layers["loss3|classifier"] = nn.Linear(1024, 1000)
        self.lrn = nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=1.0)

    def c(self, name, x):
        return F.relu(self.layers[name.replace("/", "|")](x))

    def inception(self, name, x):
        b1 = self.c(name + "/1x1", x)
        b2 = self.c(name + "/3x3", self.c(name + "/3x3_reduce", x))
        b3 = self.c(name + "/5x5", self.c(name + "/5x5_reduce", x))
        b4 = self.c(name + "/pool_proj", F.max_pool2d(x, 3, 1, 1, ceil_mode=True))
        return torch.cat([b1, b2, b3, b4], 1)

    def forward(self, x):
        x = F.max_pool2d(self.c("conv1/7x7_s2", x), 3, 2, ceil_mode=True)
        x = self.lrn(x)
        x = self.c("conv2/3x3", self.c("conv2/3x3_reduce", x))
        x = F.max_pool2d(self.lrn(x), 3, 2, ceil_mode=True)
        for name, *_ in INCEPTION:
            x = self.inception(name, x)
            if name in ("inception_3b", "inception_4e"):
                x = F.max_pool2d(x, 3, 2, ceil_mode=True)
        x = F.avg_pool2d(x, 7, 1)
        logits = self.layers["loss3|classifier"](torch.flatten(x, 1))  # dropout is identity at inference
        return logits, F.softmax(logits, dim=1)


def seeded_model(seed):
    torch.manual_seed(seed)
    model = GoogLeNet().eval()
    with torch.no_grad():
        for module in model.layers.values():
            nn.init.kaiming_uniform_(module.weight, nonlinearity="relu")
            fan_in = module.weight[0].numel()
            nn.init.uniform_(module.bias, -fan_in ** -0.5, fan_in ** -0.5)
    return model


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, array in tensors.items():
        data = np.ascontiguousarray(array, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def weights_of(model):
    tensors = {}
    for key, module in model.layers.items():
        name = key.replace("|", "/")
        tensors[name + ".weight"] = module.weight.detach().numpy()
        tensors[name + ".bias"] = module.bias.detach().numpy()
    return tensors


def check(deeper, model_path, batch, workdir, seed):
    model = seeded_model(seed)
    torch.manual_seed(seed + 100)
    x = torch.rand(batch, 3, 224, 224) * 2 - 1
    with torch.no_grad():
        logits, prob = model(x)
    weights = os.path.join(workdir, "googlenet.safetensors")
    write_safetensors(weights, weights_of(model))
    np.save(os.path.join(workdir, "x.npy"), x.numpy())
    cmd = [deeper, "run", model_path, "--weights", weights, "--input", os.path.join(workdir, "x.npy"),
           "--output", "prob=" + os.path.join(workdir, "prob.npy"),
           "--output", "loss3/classifier=" + os.path.join(workdir, "logits.npy")]
    subprocess.run(cmd, check=True)
    ours_prob = np.load(os.path.join(workdir, "prob.npy"))
    ours_logits = np.load(os.path.join(workdir, "logits.npy"))
    ref_prob, ref_logits = prob.numpy(), logits.numpy()
    assert ours_prob.shape == ref_prob.shape == (batch, 1000), ours_prob.shape
    prob_diff = float(np.abs(ours_prob - ref_prob).max())
    logit_rel = float(np.abs(ours_logits - ref_logits).max() / np.abs(ref_logits).max())
    top5_ours = np.argsort(-ours_prob, axis=1)[:, :5]
    top5_ref = np.argsort(-ref_prob, axis=1)[:, :5]
    print(f"batch {batch}: softmax max abs diff {prob_diff:.3e} (limit 1e-5), logits relative diff {logit_rel:.3e} "
          f"(limit 1e-4), logit range +-{np.abs(ref_logits).max():.3f}, top-1 prob {ref_prob.max():.4f}, "
          f"top-5 equal: {bool((top5_ours == top5_ref).all())}")
    # A test that cannot fail proves nothing: the network must give a peaked, input-dependent answer.
    assert ref_prob.max() > 5.0 / 1000, "seeded weights give a near-uniform softmax: the comparison would be weak"
    return prob_diff <= 1e-5 and logit_rel <= 1e-4


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--deeper", required=True)
    parser.add_argument("--model", required=True)
    args = parser.parse_args()
    torch.set_num_threads(2)
    ok = True
    with tempfile.TemporaryDirectory() as workdir:
        for batch, seed in ((1, 0), (2, 1)):
            ok = check(args.deeper, args.model, batch, workdir, seed) and ok
    print("1 passed, 0 failed" if ok else "0 passed, 1 failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
