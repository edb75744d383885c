#!/usr/bin/env python3
"""ONNX exports by PyTorch itself, for benchmarking ONNX Runtime on the form of each network it runs fastest.

  paper        the paper GoogLeNet (tests/torch/test_googlenet_torch.py's definition, seeded weights),
               exported by torch.onnx: PyTorch writes nn.LocalResponseNorm as elementwise ops and a 3-D
               average pool, which ONNX Runtime runs faster than its own LRN kernel. The same weights go
               to FILE.safetensors for Deeper, so both run one network with one set of weights.
  torchvision  torchvision's GoogLeNet (batch norms, no LRN: what users deploy), exported in eval mode
               (batch norms folded by the exporter, as ORT prefers); Deeper compiles this same file.
  model NAME   any torchvision classifier by its constructor's name (resnet18, mobilenet_v2, ...), seeded
               weights, exported the same way.

  bench/export_torch.py paper OUT.onnx OUT.safetensors BATCH
  bench/export_torch.py torchvision OUT.onnx BATCH
  bench/export_torch.py model NAME OUT.onnx BATCH
"""
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "torch"))
import test_googlenet_torch as paper  # noqa: E402


class PaperProb(torch.nn.Module):
    """The paper network's softmax output only, as googlenet.dnet declares."""

    def __init__(self):
        super().__init__()
        self.net = paper.seeded_model(7)

    def forward(self, x):
        return self.net(x)[1]


def export(model, path, batch, output):
    torch.onnx.export(model, torch.rand(batch, 3, 224, 224), path, input_names=["data"], output_names=[output], opset_version=13)


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "paper":
        model = PaperProb().eval()
        paper.write_safetensors(sys.argv[3], paper.weights_of(model.net))
        export(model, sys.argv[2], int(sys.argv[4]), "prob")
    elif len(sys.argv) == 4 and sys.argv[1] == "torchvision":
        import torchvision
        torch.manual_seed(3)
        model = torchvision.models.googlenet(weights=None, init_weights=True, aux_logits=False).eval()
        export(model, sys.argv[2], int(sys.argv[3]), "logits")
    elif len(sys.argv) == 5 and sys.argv[1] == "model":
        import torchvision
        names = torchvision.models.list_models(module=torchvision.models) if hasattr(torchvision.models, "list_models") else dir(torchvision.models)
        if sys.argv[2] not in names or not callable(getattr(torchvision.models, sys.argv[2], None)):
            sys.exit(f"'{sys.argv[2]}' is not a torchvision classifier (e.g. resnet18, mobilenet_v2, squeezenet1_0)")
        torch.manual_seed(3)
        model = getattr(torchvision.models, sys.argv[2])(weights=None).eval()
        export(model, sys.argv[3], int(sys.argv[4]), "logits")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
