#!/usr/bin/env python3
"""Golden fixture for vit64: forward, composite-loss gradients and two SGD steps of a timm-layout ViT in PyTorch.

Run from the repository root with the Debian python (torch 1.13):

    /usr/bin/python3 scripts/golden/make_vit64_fixture.py

The model is vit64_torch.py's (timm's VisionTransformer layout). Its weights and the input images are not stored:
both come from vit64_torch.fixed_value, an exact integer pattern the TypeScript test recomputes; index.json lists
each parameter's base and scale. The AU maps are the peer's make_au_maps (../shared/peers/torch/bench.py), stored.
The loss is the peer's composite_loss (λ = 4, labels with one neutral sample) and the optimiser the CNN golden
fixture's (make_train_step_fixture.py): SGD, Nesterov momentum 0.9, learning rates 0.002, 0.001, weight decay 5e-4
in timm's two groups (param_groups_weight_decay: cls_token, pos_embed and every 1-D tensor undecayed).

Two attention layers are recorded: "grid", the channel mean of block 6's patch tokens on the 8×8 grid (the default
layer), and "cls", the head mean of block 6's class-token attention to the patches. classGrad/*: the gradient of Σ_n logits[n, label_n] at block 5's token grid and block 6's class-token attention (what
Grad-CAM weighs there); at block 6's token grid it is zero (classGradBlock6MaxAbs). For "grid": step 1's logits,
every block's attention maps of both kinds (also in float64), the loss terms and the gradients; step 1's and step
2's updated weights, step 1's momentum buffers and step 2's losses and logits. For "cls": the loss terms and the
gradients.

A vit64 has 1.2 M parameters, so per-parameter tensors are sampled: all values of a tensor up to 512 values, else
256 values at i_j = j·s + (j·7919 + k) mod s with s = ⌊n / 256⌋ and k the parameter's index. Each gradient is also
summarised whole by its projection Σ g_i·r_i on r = fixed_value(n, 2000 + k), with Σ |g_i·r_i| as its scale.

The same steps also run in float64 from the same weights: step 1's float64 gradients are stored (sampled) as the
accuracy reference, and PyTorch float32's distance from float64 is recorded per group (`torchFloat32VsFloat64`)
with the test's relative error at floors 1e-3 and 0.1.
"""
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "..", "shared", "peers", "torch"))
import bench  # noqa: E402  (the peer: make_au_maps, composite_loss, NUM_CLASSES)
import vit64_torch as vt  # noqa: E402
from fixture_io import write_fixture  # noqa: E402

OUT = os.path.join(ROOT, "test", "fixtures", "golden", "vit64-step")
SEED = 0
BATCH = 4
LAMBDA = 4.0
LABELS = [3, 0, 5, 1]  # sample 1 is neutral (class 0): CE only
LRS = [0.002, 0.001]
MOMENTUM, WEIGHT_DECAY = 0.9, 5e-4
NO_WEIGHT_DECAY = {"pos_embed", "cls_token"}  # timm VisionTransformer.no_weight_decay()
SAMPLE = 256
IMAGE_STREAM, PROJECTION_STREAM = 1000, 2000


def sample_indices(n, k):
    if n <= 2 * SAMPLE:
        return np.arange(n)
    s = n // SAMPLE
    j = np.arange(SAMPLE)
    return j * s + (j * 7919 + k) % s


def layer_feature(variant, grids, cls_attn):
    return grids[-1] if variant == "grid" else cls_attn[-1]


def param_groups(model):
    """timm.optim.optim_factory.param_groups_weight_decay with the model's no_weight_decay() names."""
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (no_decay if p.ndim <= 1 or name.endswith(".bias") or name in NO_WEIGHT_DECAY else decay).append(p)
    return [{"params": no_decay, "weight_decay": 0.0}, {"params": decay, "weight_decay": WEIGHT_DECAY}]


def run_steps(model, image, labels, au_maps, variant, nsteps):
    """Per step: the loss terms, logits, attention maps, gradients, and the state after the optimiser's step."""
    opt = torch.optim.SGD(param_groups(model), lr=LRS[0], momentum=MOMENTUM, nesterov=True)
    names = {p: n for n, p in model.named_parameters()}
    steps = []
    for lr in LRS[:nsteps]:
        for group in opt.param_groups:
            group["lr"] = lr
        opt.zero_grad(set_to_none=True)
        logits, grids, cls_attn = model(image)
        loss, ce, align = bench.composite_loss(logits, layer_feature(variant, grids, cls_attn), labels, au_maps, LAMBDA)
        loss.backward()
        grads = {n: p.grad.detach().clone() for n, p in model.named_parameters()}
        opt.step()
        steps.append({
            "loss": loss.item(), "ce": ce.item(), "align": align.item(), "logits": logits.detach().clone(),
            "attention": [g.detach().mean(dim=1) for g in grids],
            "clsAttention": [a.detach().mean(dim=1) for a in cls_attn],
            "grads": grads, "state": {n: p.detach().clone() for n, p in model.named_parameters()},
            "momentum": {names[p]: s["momentum_buffer"].detach().clone() for p, s in opt.state.items()},
        })
    return steps


def class_gradients(image, labels):
    """What Grad-CAM weighs: the gradient of Σ_n logits[n, label_n] at block 5's and block 6's tokens and at block 6's
    attention, taken at the on-path tensors and reshaped as pytorch-grad-cam's reshape_transform does."""
    model, _ = fresh_model(torch.float32)
    logits, grids, _ = model(image)
    score = logits.gather(1, labels[:, None]).sum()
    t5, t6, p6 = torch.autograd.grad(score, [model.tokens[4], model.tokens[5], model.probs[5]])
    n, g = image.shape[0], model.grid
    grid = lambda t: t[:, 1:].transpose(1, 2).reshape(n, -1, g, g)  # noqa: E731
    return {"block5": grid(t5), "block6": grid(t6), "block6.cls": p6[:, :, 0, 1:].reshape(n, -1, g, g)}


def rel_error(a, b, floor):
    """Worst |a − b| / max(|b|, floor·max|b|) (the test's definition)."""
    a, b = a.double(), b.double()
    floor = floor * b.abs().max().clamp_min(1e-30)
    return float(((a - b).abs() / torch.maximum(b.abs(), floor)).max())


def fresh_model(dtype):
    model = vt.vit64().to(dtype)
    rows = vt.fixed_weights(model)
    return model, rows


def main():
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    assert bench.NUM_CLASSES == vt.NUM_CLASSES
    size = vt.ARCH["image_size"]
    image = vt.fixed_image(BATCH, size, IMAGE_STREAM)
    au_maps = bench.make_au_maps(BATCH, size, torch.Generator().manual_seed(SEED))
    labels = torch.tensor(LABELS, dtype=torch.int64)

    runs = {}
    for dtype in (torch.float32, torch.float64):
        for variant, nsteps in (("grid", 2), ("cls", 1)):
            model, rows = fresh_model(dtype)
            runs[(variant, dtype)] = run_steps(model, image.to(dtype), labels, au_maps.to(dtype), variant, nsteps)
    names = [r[0] for r in rows]
    shapes = {r[0]: r[1] for r in rows}

    samples = {n: sample_indices(int(np.prod(shapes[n])), k) for k, n in enumerate(names)}
    pick = lambda n, t: t.reshape(-1)[torch.from_numpy(samples[n])]  # noqa: E731

    def projection(n, g):
        k = names.index(n)
        terms = g.double().reshape(-1) * torch.from_numpy(vt.fixed_value(g.numel(), PROJECTION_STREAM + k))
        return {"sum": float(terms.sum()), "abs": float(terms.abs().sum())}

    grid32, grid64 = runs[("grid", torch.float32)], runs[("grid", torch.float64)]
    cls32, cls64 = runs[("cls", torch.float32)][0], runs[("cls", torch.float64)][0]
    s1, s2 = grid32
    tensors = [("input/au_maps", au_maps), ("step1/logits", s1["logits"])]
    for i in range(len(s1["attention"])):
        for kind in ("attention", "clsAttention"):
            tensors.append((f"step1/{kind}/block{i + 1}", s1[kind][i]))
            tensors.append((f"step1/float64/{kind}/block{i + 1}", grid64[0][kind][i]))
    for tag, run in (("grid", s1), ("grid/float64", grid64[0]), ("cls", cls32), ("cls/float64", cls64)):
        tensors += [(f"step1/{tag}/grad.{n}", pick(n, run["grads"][n])) for n in names]
    tensors += [(f"step1/new.{n}", pick(n, s1["state"][n])) for n in names]
    tensors += [(f"step1/new.momentum.{n}", pick(n, s1["momentum"][n])) for n in names]
    tensors.append(("step2/logits", s2["logits"]))
    class_grads = class_gradients(image, labels)
    tensors += [(f"classGrad/{layer}", class_grads[layer]) for layer in ("block5", "block6.cls")]
    tensors += [(f"step2/new.{n}", pick(n, s2["state"][n])) for n in names]

    def drift(a, b):
        """PyTorch float32's distance from float64, per group, at the test's two floors."""
        out = {k: abs(a[k] - b[k]) / abs(b[k]) for k in ("loss", "ce", "align")}
        groups = {"logits": lambda s: {"logits": s["logits"]}, "grads": lambda s: s["grads"],
                  "attention": lambda s: {f"{i}": t for i, t in enumerate(s["attention"])},
                  "clsAttention": lambda s: {f"{i}": t for i, t in enumerate(s["clsAttention"])}}
        for g, sel in groups.items():
            ta, tb = sel(a), sel(b)
            out[g] = {f"floor{f:g}": max(rel_error(ta[n], tb[n], f) for n in tb) for f in (1e-3, 1e-1)}
        return out

    index = {
        "description": "vit64 in PyTorch: forward, gradients, two SGD steps (scripts/golden/make_vit64_fixture.py)",
        "torch": torch.__version__,
        "arch": vt.ARCH, "numClasses": vt.NUM_CLASSES, "batch": BATCH, "lambda": LAMBDA,
        "imageStream": IMAGE_STREAM, "projectionStream": PROJECTION_STREAM, "sample": SAMPLE,
        "layers": {"grid": "block6 token grid", "cls": "block6 class-token attention"},
        "optimizer": {"kind": "SGD", "lrs": LRS, "momentum": MOMENTUM, "nesterov": True, "weightDecay": WEIGHT_DECAY,
                      "noWeightDecay": "cls_token, pos_embed and 1-D tensors (timm's param groups)"},
        "labels": LABELS,
        "params": [{"name": n, "shape": s, "base": b, "scale": sc} for n, s, b, sc in rows],
        "steps": [{"lr": lr, "loss": s["loss"], "ce": s["ce"], "align": s["align"]} for lr, s in zip(LRS, grid32)],
        "cls": {"loss": cls32["loss"], "ce": cls32["ce"], "align": cls32["align"]},
        "projections": {
            "grid": {n: projection(n, s1["grads"][n]) for n in names},
            "cls": {n: projection(n, cls32["grads"][n]) for n in names},
        },
        "torchFloat32VsFloat64": {"grid": drift(s1, grid64[0]), "cls": drift(cls32, cls64)},
        # The head reads the class token alone, so the last block's patch tokens get no class-score gradient.
        "classGradBlock6MaxAbs": float(class_grads["block6"].abs().max()),
    }
    write_fixture(OUT, tensors, index)
    print(json.dumps({k: index[k] for k in ("bytes", "steps", "cls", "torchFloat32VsFloat64")}, indent=1))


if __name__ == "__main__":
    main()
