#!/usr/bin/env python3
"""Fixture for importing ONNX classifiers trained elsewhere: the peer's tiny64, random weights, exported by
torch.onnx.export, with PyTorch's own outputs for one fixed input.

Run from the repository root with the Debian python (torch 1.13):

    /usr/bin/python3 scripts/golden/make_peer_onnx_fixture.py

It imports the peer's model (../shared/peers/torch/bench.py: definitions only) and writes
test/fixtures/golden/tiny64-peer-onnx/:
- model.onnx: `torch.onnx.export` of the eval-mode model (opset 17, constant folding, so every BatchNorm is folded
  into its convolution, as a user's export would be), input "input" [batch, 3, 64, 64], output "logits";
- index.json + tensors.bin (little-endian float32, as the other golden fixtures): the input, the logits, every
  layer's activations (stem and each stage: the ONNX values named in index.json "layers") and the gradient of
  logit[index.json "gradClass"] with respect to the last stage (the CAM layer).
BatchNorm statistics are randomised so that the folded convolutions differ from the raw ones.
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "..", "shared", "peers", "torch"))
import bench  # noqa: E402  (the peer: SmallResNet, MODELS)

OUT = os.path.join(ROOT, "test", "fixtures", "golden", "tiny64-peer-onnx")
PRESET = "tiny64"
SEED = 5
GRAD_CLASS = 3
OPSET = 17


class LogitsOnly(torch.nn.Module):
    """What a user exports: the classifier, image in, logits out."""

    def __init__(self, model, stages):
        super().__init__()
        self.model = model
        self.stages = stages

    def forward(self, x):
        return self.model(x, self.stages)[0]


def layer_outputs(model, image):
    """The stem's and every stage's output, and the logits, through the same modules the export traces."""
    x = model.stem(image)
    layers = {"stem": x}
    for i, stage in enumerate(model.stages, 1):
        x = stage(x)
        layers[f"stage{i}"] = x
    logits = model.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))
    return layers, logits


def onnx_value_names(nstages):
    """torch 1.13 names each value after its module scope and op: the stem's ReLU, each stage's last block's ReLU."""
    names = {"stem": "/model/stem/stem.2/Relu_output_0"}
    for i in range(nstages):
        names[f"stage{i + 1}"] = f"/model/stages.{i}/stages.{i}.0/Relu_1_output_0"
    return names


def main():
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    size, _, build, nstages = bench.MODELS[PRESET]
    model = build()
    gen = torch.Generator().manual_seed(SEED + 1)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.copy_(1 + 0.2 * torch.randn(m.weight.shape, generator=gen))
                m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=gen))
                m.running_mean.copy_(0.1 * torch.randn(m.running_mean.shape, generator=gen))
                m.running_var.copy_(torch.exp(0.3 * torch.randn(m.running_var.shape, generator=gen)))
    model.eval()
    image = torch.randn(1, 3, size, size, generator=gen)

    os.makedirs(OUT, exist_ok=True)
    onnx_file = os.path.join(OUT, "model.onnx")
    # export() restores each module's mode afterwards: the wrapper must be in eval mode itself, or the model comes
    # back in training mode and the reference below would use batch statistics.
    wrapper = LogitsOnly(model, nstages).eval()
    torch.onnx.export(wrapper, image, onnx_file, opset_version=OPSET, do_constant_folding=True,
                      input_names=["input"], output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    names = onnx_value_names(nstages)
    with open(onnx_file, "rb") as f:
        data = f.read()
    for layer, name in names.items():
        assert name.encode() in data, f"{layer}: no value {name} in the export; torch names values differently"

    assert not model.training
    layers, logits = layer_outputs(model, image)
    cam = layers[f"stage{nstages}"]
    grad, = torch.autograd.grad(logits[0, GRAD_CLASS], cam)
    reference, _ = model(image, nstages)
    assert torch.equal(reference, logits), "the unrolled forward must be the peer's forward"

    tensors = [("input", image), ("logits", logits)]
    tensors += [(f"act/{k}", v) for k, v in layers.items()]
    tensors += [(f"grad/stage{nstages}", grad)]
    blobs = [t.detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes() for _, t in tensors]
    starts = [0]
    for blob in blobs:
        starts.append(starts[-1] + len(blob))
    index = {
        "description": "torch.onnx.export of the peer's tiny64 with random weights and PyTorch's outputs (see scripts/golden/make_peer_onnx_fixture.py)",
        "torch": torch.__version__, "opset": OPSET, "preset": PRESET, "seed": SEED, "inputSize": size,
        "layers": names, "camLayer": f"stage{nstages}", "gradClass": GRAD_CLASS,
        "tensors": [{"name": n, "shape": list(t.shape), "offset": at} for (n, t), at in zip(tensors, starts)],
        "bytes": starts[-1],
    }
    with open(os.path.join(OUT, "tensors.bin"), "wb") as f:
        f.write(b"".join(blobs))
    with open(os.path.join(OUT, "index.json"), "w") as f:
        f.write(json.dumps(index, indent=1) + "\n")
    print(json.dumps({"onnxBytes": len(data), "bytes": index["bytes"], "logits": logits.tolist()}, indent=1))


if __name__ == "__main__":
    main()
