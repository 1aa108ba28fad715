#!/usr/bin/env python3
"""Golden fixture for max-pooling's gradient where windows tie: PyTorch routes each window's gradient to one
position, its first maximum, and our two backward forms (MaxPool indices on the CPU, first-maximum routing on
WebGPU: src/trainer/autodiff/ops/pool.ts) must do the same.

Run from the repository root with the Debian python (torch 1.13):

    /usr/bin/python3 scripts/golden/make_maxpool_ties_fixture.py

Writes test/fixtures/golden/maxpool-ties/cases.json: per case the pooling (kernel, stride, padding), the input
shape, x, an upstream gradient dy of distinct small integers and PyTorch's dx = ∂Σ(y·dy)/∂x. Every value is a small
integer, so the sums are exact in float32 and the comparison can be exact.
"""
import json
import os

import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "test", "fixtures", "golden", "maxpool-ties", "cases.json")


def case(name, x, kernel, stride, padding):
    x = x.float().requires_grad_(True)
    y = F.max_pool2d(x, kernel, stride, padding)
    g = torch.Generator().manual_seed(1)
    dy = torch.randperm(y.numel(), generator=g).reshape(y.shape).float() + 1
    (y * dy).sum().backward()
    return {
        "name": name, "kernel": list(kernel), "stride": list(stride), "padding": list(padding), "shape": list(x.shape),
        "x": x.detach().flatten().tolist(), "dy": dy.flatten().tolist(), "y": y.detach().flatten().tolist(),
        "dx": x.grad.flatten().tolist(),
    }


def main():
    g = torch.Generator().manual_seed(0)
    relu = torch.relu(torch.randint(-3, 3, (2, 3, 7, 8), generator=g)).float()
    zeros = torch.zeros(1, 2, 6, 6)
    zeros[0, 1, 2:4, 2:4] = 2  # a block of tied maxima inside a plane of tied zeros
    few = torch.randint(0, 3, (1, 2, 9, 9), generator=g)
    negative = torch.randint(-3, 0, (1, 1, 5, 6), generator=g)  # padding reads 0 on the CPU form's conv: must not win
    cases = [
        case("stem pool after a ReLU (ties of zeros)", relu, (3, 3), (2, 2), (1, 1)),
        case("tied zeros with a tied block of maxima", zeros, (3, 3), (2, 2), (1, 1)),
        case("three values only, odd size", few, (3, 3), (2, 2), (1, 1)),
        case("all negative, padded", negative, (3, 3), (2, 2), (1, 1)),
        case("2x2 stride 2, no padding", few, (2, 2), (2, 2), (0, 0)),
        case("3x3 stride 1, overlapping windows", few, (3, 3), (1, 1), (0, 0)),
    ]
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump({"torch": torch.__version__, "cases": cases}, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {OUT}: {len(cases)} cases (torch {torch.__version__})")


if __name__ == "__main__":
    main()
