#!/usr/bin/env python3
"""The PyTorch peer's bench.py (../shared/peers/torch) with vit64 added to its model set: the same timm-layout ViT as
the golden fixture (scripts/golden/vit64_torch.py), random init, trained with the peer's composite loss on the token
grid of --layer (default 5, AU Lens's default layer for vit64: the grid entering the last block) and the peer's
SGD. Everything else — timing, FLOP hooks, JSON line — is bench.py's own.

    /usr/bin/python3 scripts/bench/vit_peer.py --model vit64 --threads 1 --mode train --layer 5
(run with bench.py and vit64_torch.py importable: scripts/bench/bench-vs-torch.sh puts them beside it)
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, "..", "golden"), os.environ.get("PEER_DIR", "")]
import bench  # noqa: E402
import torch.nn as nn  # noqa: E402
import vit64_torch as vt  # noqa: E402


class Vit64(nn.Module):
    """bench.py's model interface: forward(x, layer) → (logits, the layer's (N, C, H, W) features)."""

    def __init__(self):
        super().__init__()
        self.vit = vt.ViT(**vt.ARCH, num_classes=bench.NUM_CLASSES)

    def forward(self, x, layer):
        logits, grids, _ = self.vit(x)
        return logits, grids[layer - 1]


bench.MODELS["vit64"] = (vt.ARCH["image_size"], 32, Vit64, vt.ARCH["depth"])

if __name__ == "__main__":
    if "--layer" not in sys.argv:
        sys.argv += ["--layer", "5"]
    bench.main()
