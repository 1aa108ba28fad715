#!/usr/bin/env python3
"""Golden fixture for explaining an imported ViT: a torchvision-layout VisionTransformer (torchvision_vit.py: 32 px,
patch 8 → 4×4 tokens, width 32, depth 3, 4 heads, MLP 64, 7 classes) exported with torch.onnx.export at opset 17,
with PyTorch's logits and the gradient of one logit with respect to the tokens entering the last block (the
output of encoder_layer_1, pytorch-grad-cam's target for a ViT: the input of blocks[-1].norm1), and the attention
rollout (Abnar & Zuidema 2020) of its blocks' head-mean attention weights as nn.MultiheadAttention returns them.

Run from the repository root with the Debian python (torch 1.13; no torchvision needed):

    /usr/bin/python3 scripts/golden/make_import_vit_fixture.py

Writes test/fixtures/golden/import-vit/: model.onnx, and index.json + tensors.bin (fixture_io.py) holding the input
image, the logits, the target class, the token gradient (1, 17, 32) and the rollout (1, 1, 4, 4) in float32, the ONNX
value name of those tokens in the export and of each block's attention Softmax.
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


def rollout(model, image):
    """The class token's row of Π(½·A_l + ½·I) over the patches, A_l block l's head-mean attention (1, T, T)."""
    normed = []
    hooks = [block.ln_1.register_forward_hook(lambda _m, _i, out: normed.append(out)) for block in model.encoder.layers]
    with torch.no_grad():
        model(image)
        for hook in hooks:
            hook.remove()
        r = torch.eye(normed[0].shape[1])
        for block, y in zip(model.encoder.layers, normed):
            _, weights = block.self_attention(y, y, y, need_weights=True, average_attn_weights=True)
            r = (0.5 * weights[0] + 0.5 * torch.eye(r.shape[0])) @ r
    side = SIZE // PATCH
    return r[0, 1:].reshape(1, 1, side, side)


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
        "attention": [f"/encoder/layers/encoder_layer_{k}/self_attention/Softmax_output_0" for k in range(DEPTH)],
    }
    write_fixture(OUT, [("image", image), ("logits", logits.detach()), ("tokenGrad", grad),
                        ("rollout", rollout(model, image))], index)
    print(index["tokenValue"], logits.detach().numpy().round(4), float(grad.abs().max()))


if __name__ == "__main__":
    main()
