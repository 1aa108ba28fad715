#!/usr/bin/env python3
"""Golden fixture for the ONNX training step: two SGD steps of the peer's tiny64 in PyTorch.

Run from the repository root with the Debian python (torch 1.13):

    /usr/bin/python3 scripts/golden/make_train_step_fixture.py

It imports the peer's model and loss (../shared/peers/torch/bench.py: definitions only, its main() runs under
`__main__` alone) and writes test/fixtures/golden/tiny64-step/{index.json,tensors.bin}. tensors.bin is
little-endian float32; index.json names every tensor with its shape and byte offset, and holds the labels,
the scalar losses and the hyper-parameters.

Step 1 starts from fresh optimiser state (no momentum buffers), as the first step of training. Step 2 runs on
the same batch from step 1's state with another learning rate, so the momentum term μ·buf, the running-stat
blend 0.9·old + 0.1·batch and the learning rate as a graph input are all exercised. Step 2 stores only what
depends on those: its losses, logits, parameters and running statistics.

The same two steps are also run in float64 from the same float32 initial state. Step 1's float64 momentum
buffers (the gradients plus weight decay) are stored as the accuracy reference, and the distance of PyTorch's
float32 results from float64 is recorded per tensor group (`torchFloat32VsFloat64`) with the relative error the
TypeScript test uses, max |a − b| / max(|b|, floor·max|tensor|), at floors 1e-3 and 0.1.
"""
import json
import os
import sys

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "..", "shared", "peers", "torch"))
import bench  # noqa: E402  (the peer: BasicBlock/SmallResNet/MODELS, make_au_maps, composite_loss)

OUT = os.path.join(ROOT, "test", "fixtures", "golden", "tiny64-step")
PRESET = "tiny64"
SEED = 0
BATCH = 4
LAMBDA = 4.0
LABELS = [3, 0, 5, 1]  # sample 1 is neutral (class 0): CE only, its AU map is skipped
LRS = [0.002, 0.001]
MOMENTUM, WEIGHT_DECAY = 0.9, 5e-4


def make_inputs():
    size = bench.MODELS[PRESET][0]
    gen = torch.Generator().manual_seed(SEED)
    image = torch.randn(BATCH, 3, size, size, generator=gen)
    au_maps = bench.make_au_maps(BATCH, size, gen)
    labels = torch.tensor(LABELS, dtype=torch.int64)
    return image, labels, au_maps


def run_steps(model, image, labels, au_maps, layer):
    """Two steps as bench.py's train step; returns per step (loss, ce, align, logits, state after the step)."""
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=LRS[0], momentum=MOMENTUM, nesterov=True,
                          weight_decay=WEIGHT_DECAY)
    steps = []
    for lr in LRS:
        for group in opt.param_groups:
            group["lr"] = lr
        opt.zero_grad(set_to_none=True)
        logits, feat = model(image, layer)
        loss, ce, align = bench.composite_loss(logits, feat, labels, au_maps, LAMBDA)
        loss.backward()
        opt.step()
        names = {p: n for n, p in model.named_parameters()}
        momentum = {names[p]: s["momentum_buffer"].detach().clone() for p, s in opt.state.items()}
        state = {k: v.detach().clone() for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
        steps.append({"loss": loss.item(), "ce": ce.item(), "align": align.item(),
                      "logits": logits.detach().clone(), "state": state, "momentum": momentum})
    return steps


def rel_error(a, b, floor):
    """Worst |a − b| / max(|b|, floor·max|b|) over the tensor (the test's definition)."""
    a, b = a.double(), b.double()
    floor = floor * b.abs().max().clamp_min(1e-30)
    return float(((a - b).abs() / torch.maximum(b.abs(), floor)).max())


def main():
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    size, _, build, nstages = bench.MODELS[PRESET]
    assert bench.NUM_CLASSES == 7
    model = build()
    init = {k: v.detach().clone() for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    image, labels, au_maps = make_inputs()
    au_valid = (labels != 0).float()

    f32 = run_steps(model, image, labels, au_maps, nstages)

    model64 = build().double()
    model64.load_state_dict({k: v.double() for k, v in init.items()}, strict=False)
    f64 = run_steps(model64, image.double(), labels, au_maps.double(), nstages)

    param_names = [n for n, _ in model.named_parameters()]
    running_names = [k for k in init if k.endswith("running_mean") or k.endswith("running_var")]

    tensors = [("input/image", image), ("input/au_maps", au_maps), ("input/au_valid", au_valid)]
    tensors += [(f"init/{k}", v) for k, v in init.items()]
    s1, s2 = f32
    tensors.append(("step1/logits", s1["logits"]))
    tensors += [(f"step1/new.{n}", s1["state"][n]) for n in param_names]
    tensors += [(f"step1/new.momentum.{n}", s1["momentum"][n]) for n in param_names]
    tensors += [(f"step1/new.{n}", s1["state"][n]) for n in running_names]
    tensors.append(("step2/logits", s2["logits"]))
    tensors += [(f"step2/new.{n}", s2["state"][n]) for n in param_names]
    tensors += [(f"step2/new.{n}", s2["state"][n]) for n in running_names]

    # BN biases start at zero, so after a step they hold nothing but accumulated updates, like the momentum buffers.
    bn_biases = [n for n in param_names if n.endswith(".bias") and n != "fc.bias"]
    weights = [n for n in param_names if n not in bn_biases]

    def drift(step):
        """PyTorch float32's distance from float64 per tensor group, at the two floors the test uses."""
        a, b = f32[step], f64[step]
        groups = {"logits": lambda s: {"logits": s["logits"]}, "weights": lambda s: {n: s["state"][n] for n in weights},
                  "bnBiases": lambda s: {n: s["state"][n] for n in bn_biases}, "momentum": lambda s: s["momentum"],
                  "runningStats": lambda s: {n: s["state"][n] for n in running_names}}
        out = {k: abs(a[k] - b[k]) / abs(b[k]) for k in ("loss", "ce", "align")}
        for g, pick in groups.items():
            ta, tb = pick(a), pick(b)
            out[g] = {f"floor{floor:g}": max(rel_error(ta[n], tb[n], floor) for n in tb) for floor in (1e-3, 1e-1)}
        return out

    # The gradients (step 1's momentum buffers) in float64, rounded to float32: the accuracy reference.
    tensors += [(f"step1/float64/new.momentum.{n}", f64[0]["momentum"][n]) for n in param_names]

    os.makedirs(OUT, exist_ok=True)
    entries, offset = [], 0
    with open(os.path.join(OUT, "tensors.bin"), "wb") as f:
        for name, t in tensors:
            data = t.detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes()
            entries.append({"name": name, "shape": list(t.shape), "offset": offset})
            f.write(data)
            offset += len(data)
    index = {
        "description": "Two PyTorch SGD steps of the peer's tiny64 (see scripts/golden/make_train_step_fixture.py)",
        "torch": torch.__version__,
        "preset": PRESET, "numClasses": bench.NUM_CLASSES, "batch": BATCH, "seed": SEED,
        "lambda": LAMBDA, "layer": f"stage{nstages}",
        "optimizer": {"kind": "SGD", "lrs": LRS, "momentum": MOMENTUM, "nesterov": True, "weightDecay": WEIGHT_DECAY},
        "batchNorm": {"epsilon": 1e-5, "momentum": 0.1},
        "labels": LABELS,
        "params": param_names,
        "runningStats": running_names,
        "steps": [{"lr": lr, "loss": s["loss"], "ce": s["ce"], "align": s["align"]} for lr, s in zip(LRS, f32)],
        "torchFloat32VsFloat64": [drift(0), drift(1)],
        "tensors": entries,
        "bytes": offset,
    }
    with open(os.path.join(OUT, "index.json"), "w") as f:
        json.dump(index, f, indent=1)
        f.write("\n")
    print(json.dumps({"bytes": offset, "steps": index["steps"], "f32_vs_f64": index["torchFloat32VsFloat64"]}, indent=1))


if __name__ == "__main__":
    main()
