#!/usr/bin/env python3
"""Fixtures for `au-lens train --init FILE.onnx` (src/trainer/train/onnxInit.ts): networks exported with
torch.onnx.export (opset 17) the way a user exports ImageNet weights, at tiny sizes so the files can be committed.

Run from the repository root with the Debian python (torch 1.13; no timm, no torchvision):

    /usr/bin/python3 scripts/golden/make_init_fixtures.py

- vit-timm.onnx: vit64_torch's timm-layout ViT (16 px, patch 8, width 16, depth 2, 2 heads, MLP ×2, 10 classes)
  inside a wrapper whose attribute is `model`, so every name gets the prefix 'model.'; default export (eval mode,
  constant folding), which stores each Linear on tokens as a folded transposed 'onnx::MatMul_*' initializer and
  the equal LayerNorm biases (all zero) once, re-read through Identity nodes.
- vit-torchvision.onnx: the same sizes in torchvision's VisionTransformer layout (torchvision_vit.py).
- tiny64-train.onnx: the peer's tiny64 (SmallResNet) exported with training=TrainingMode.TRAINING, which keeps
  every state_dict tensor; tiny64-eval.onnx: the default export, BatchNorm folded into the convs (refused).
index.json: per file, each state_dict tensor's shape, sum and first two values (in the file's own names).
Weights are random (seed 0) with every tensor perturbed away from its initial constant, except LayerNorm biases.
"""
import json
import os
import sys

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "..", "shared", "peers", "torch"))
import bench  # noqa: E402  (the peer's SmallResNet)
import torchvision_vit  # noqa: E402
import vit64_torch as vt  # noqa: E402

OUT = os.path.join(ROOT, "test", "fixtures", "init")
TINY = {"image_size": 16, "patch": 8, "width": 16, "depth": 2, "heads": 2, "mlp_ratio": 2, "eps": 1e-6}
CLASSES = 10


class Wrapper(nn.Module):
    """What a user's export script often holds: the network under an attribute, returning logits alone."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)[0]


class Logits(nn.Module):
    def __init__(self, net, layer):
        super().__init__()
        self.net = net
        self.layer = layer

    def forward(self, x):
        return self.net(x, self.layer)[0]


def perturb(model):
    with torch.no_grad():
        for name, p in model.named_parameters():
            if not (name.endswith(".bias") and ("norm" in name or "ln" in name)):
                p.add_(torch.randn_like(p) * 0.1)
        for name, b in model.named_buffers():
            if name.endswith("running_mean"):
                b.copy_(torch.randn_like(b) * 0.1)
            elif name.endswith("running_var"):
                b.copy_(1 + torch.rand_like(b))


def summary(model):
    return {n: {"shape": list(t.shape), "sum": float(t.double().sum()), "first": [float(v) for v in t.reshape(-1)[:2]]}
            for n, t in model.state_dict().items() if not n.endswith("num_batches_tracked")}


def main():
    torch.manual_seed(0)
    os.makedirs(OUT, exist_ok=True)
    timm_vit = vt.ViT(**TINY, num_classes=CLASSES)
    tv_vit = torchvision_vit.VisionTransformer(16, 8, 2, 2, 16, 32, CLASSES)
    tiny64 = bench.SmallResNet(16, (16, 32, 64), (1, 2, 2), 1)
    for m in (timm_vit, tv_vit, tiny64):
        perturb(m)
        m.eval()
    x16, x64 = torch.randn(1, 3, 16, 16), torch.randn(1, 3, 64, 64)
    index = {}
    jobs = [
        ("vit-timm.onnx", Wrapper(timm_vit), x16, {}),
        ("vit-torchvision.onnx", tv_vit, x16, {}),
        ("tiny64-train.onnx", Logits(tiny64, 3), x64, {"training": torch.onnx.TrainingMode.TRAINING}),
        ("tiny64-eval.onnx", Logits(tiny64, 3), x64, {}),
    ]
    for name, module, x, kw in jobs:
        torch.onnx.export(module, x, os.path.join(OUT, name), opset_version=17, input_names=["image"],
                          output_names=["logits"], **kw)
        index[name] = summary(module)
    with open(os.path.join(OUT, "index.json"), "w") as f:
        json.dump({"description": __doc__.strip().splitlines()[0], "torch": torch.__version__, "tiny": TINY,
                   "classes": CLASSES, "files": index}, f, indent=1)
    print({n: os.path.getsize(os.path.join(OUT, n)) for n in index})


if __name__ == "__main__":
    main()
