#!/usr/bin/env python3
"""Golden fixture for the exported inference model: eval-mode outputs of the peer's tiny64 in PyTorch.

Run from the repository root with the Debian python (torch 1.13):

    /usr/bin/python3 scripts/golden/make_eval_fixture.py

It imports the peer's model (../shared/peers/torch/bench.py: definitions only) and writes
test/fixtures/golden/tiny64-eval/{index.json,tensors.bin} in the layout of the train-step fixture: tensors.bin
is little-endian float32, index.json names every tensor with its shape and byte offset.

Two weight sets, both evaluated with model.eval() on the same batch of two random images:
- "init": the train-step fixture's initial weights (torch.manual_seed(0), then the peer's builder), where every
  BatchNorm still has running mean 0 and variance 1, so eval-mode BatchNorm is nearly the identity;
- "perturbed": the same convolution and linear weights with random BatchNorm γ, β, running mean and running
  variance, so eval-mode BatchNorm really normalises with running statistics.
For each: the logits, the attention (channel mean, the peer's attention_map) of the stem and of every stage, and
the last stage's output ('features'). Only the BatchNorm tensors of "perturbed" are stored; the rest are "init".
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "..", "shared", "peers", "torch"))
import bench  # noqa: E402  (the peer: SmallResNet, MODELS, attention_map)
from fixture_io import write_fixture  # noqa: E402

OUT = os.path.join(ROOT, "test", "fixtures", "golden", "tiny64-eval")
STEP_FIXTURE = os.path.join(ROOT, "test", "fixtures", "golden", "tiny64-step")
PRESET = "tiny64"
SEED = 0  # as make_train_step_fixture.py, so "init" is that fixture's initial state
BATCH = 2


def eval_outputs(model, image):
    """Logits, every layer's attention and the last stage's output, in eval mode."""
    model.eval()
    with torch.no_grad():
        x = model.stem(image)
        out = {"att.stem": bench.attention_map(x)}
        for i, stage in enumerate(model.stages, 1):
            x = stage(x)
            out[f"att.stage{i}"] = bench.attention_map(x)
        out["features"] = x
        out["logits"] = model.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))
        reference, _ = model(image, len(model.stages))
    assert torch.equal(reference, out["logits"]), "the unrolled forward must be the peer's forward"
    return out


def check_against_step_fixture(init):
    """The "init" weights must be exactly the train-step fixture's initial weights."""
    index_file = os.path.join(STEP_FIXTURE, "index.json")
    if not os.path.exists(index_file):
        print("train-step fixture not found; skipping the cross-check")
        return
    with open(index_file) as f:
        index = json.load(f)
    with open(os.path.join(STEP_FIXTURE, "tensors.bin"), "rb") as f:
        blob = f.read()
    for entry in index["tensors"]:
        if not entry["name"].startswith("init/"):
            continue
        name = entry["name"][len("init/"):]
        count = 1
        for d in entry["shape"]:
            count *= d
        stored = torch.frombuffer(bytearray(blob[entry["offset"]:entry["offset"] + 4 * count]), dtype=torch.float32)
        assert torch.equal(stored.reshape(entry["shape"]), init[name]), f"init/{name} differs from the train-step fixture"


def main():
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    size, _, build, nstages = bench.MODELS[PRESET]
    model = build()
    init = {k: v.detach().clone() for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    check_against_step_fixture(init)

    gen = torch.Generator().manual_seed(1)
    image = torch.randn(BATCH, 3, size, size, generator=gen)
    bn = {}
    for name, t in init.items():
        if name.endswith(".weight") and t.dim() == 1:
            bn[name] = 1 + 0.2 * torch.randn(t.shape, generator=gen)
        elif name.endswith(".bias") and not name.startswith("fc."):
            bn[name] = 0.1 * torch.randn(t.shape, generator=gen)
        elif name.endswith("running_mean"):
            bn[name] = 0.1 * torch.randn(t.shape, generator=gen)
        elif name.endswith("running_var"):
            bn[name] = torch.exp(0.3 * torch.randn(t.shape, generator=gen))

    tensors = [("input/image", image)]
    tensors += [(f"init/{k}", v) for k, v in init.items()]
    tensors += [(f"perturbed/{k}", v) for k, v in bn.items()]
    outputs = {}
    for variant, state in (("init", init), ("perturbed", {**init, **bn})):
        model.load_state_dict(state, strict=False)
        outputs[variant] = eval_outputs(model, image)
        tensors += [(f"{variant}/out/{k}", v) for k, v in outputs[variant].items()]

    index = {
        "description": "Eval-mode outputs of the peer's tiny64 (see scripts/golden/make_eval_fixture.py)",
        "torch": torch.__version__,
        "preset": PRESET, "numClasses": bench.NUM_CLASSES, "batch": BATCH, "seed": SEED,
        "layers": ["stem"] + [f"stage{i}" for i in range(1, nstages + 1)],
        "variants": ["init", "perturbed"],
        "params": list(init),
        "perturbed": list(bn),
    }
    write_fixture(OUT, tensors, index)
    logits = {v: outputs[v]["logits"].tolist() for v in outputs}
    print(json.dumps({"bytes": index["bytes"], "logits": logits}, indent=1))


if __name__ == "__main__":
    main()
