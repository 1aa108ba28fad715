#!/usr/bin/env python3
"""Golden fixture for explaining an imported ViT: a torchvision-layout VisionTransformer (torchvision_vit.py: 32 px,
patch 8 → 4×4 tokens, width 32, depth 3, 4 heads, MLP 64, 7 classes) exported with torch.onnx.export at opset 17,
with PyTorch's logits and the gradient of one logit with respect to the tokens entering the last block (the
output of encoder_layer_1, pytorch-grad-cam's target for a ViT: the input of blocks[-1].norm1).

Run from the repository root with the Debian python (torch 1.13; no torchvision needed):

    /usr/bin/python3 scripts/golden/make_import_vit_fixture.py

Writes test/fixtures/golden/import-vit/: model.onnx, and index.json + tensors.bin (fixture_io.py) holding the input
image, the logits, the target class and the token gradient (1, 17, 32) in float32, and the ONNX value name of those
tokens in the export.
"""
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import torchvision_vit  # noqa: E402
from fixture_io import write_fixture  # noqa: E402

OUT = os.path.join(ROOT, "test", "fixtures", "golden", "import-vit")
SIZE, PATCH, DEPTH, HEADS, WIDTH, MLP, CLASSES = 32, 8, 3, 4, 32, 64, 7
TARGET = 4


def main():
    torch.manual_seed(0)
    model = torchvision_vit.VisionTransformer(SIZE, PATCH, DEPTH, HEADS, WIDTH, MLP, CLASSES)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    model.eval()
    image = torch.randn(1, 3, SIZE, SIZE)
    os.makedirs(OUT, exist_ok=True)
    torch.onnx.export(model, image, os.path.join(OUT, "model.onnx"), opset_version=17, input_names=["image"],
                      output_names=["logits"])
    tokens = {}
    last_input = model.encoder.layers[DEPTH - 2]
    last_input.register_forward_hook(lambda _m, _i, out: tokens.setdefault("x", out))
    logits = model(image)
    grad, = torch.autograd.grad(logits[0, TARGET], tokens["x"])
    index = {
        "description": "torchvision-layout ViT exported to ONNX, its logits and d logit[target] / d tokens into the "
                       "last block (scripts/golden/make_import_vit_fixture.py)",
        "torch": torch.__version__, "size": SIZE, "patch": PATCH, "depth": DEPTH, "width": WIDTH, "classes": CLASSES,
        "target": TARGET,
        "tokenValue": f"/encoder/layers/encoder_layer_{DEPTH - 2}/Add_1_output_0",
        "grid": [SIZE // PATCH, SIZE // PATCH],
    }
    write_fixture(OUT, [("image", image), ("logits", logits.detach()), ("tokenGrad", grad)], index)
    print(index["tokenValue"], logits.detach().numpy().round(4), float(grad.abs().max()))


if __name__ == "__main__":
    main()
