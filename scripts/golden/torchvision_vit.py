"""torchvision's VisionTransformer layout (torchvision/models/vision_transformer.py: vit_b_16's module and parameter
names) at tiny sizes, written out here because Debian's torch 1.13 has no torchvision. Names: 'class_token',
'conv_proj.*', 'encoder.pos_embedding', 'encoder.layers.encoder_layer_{i}.{ln_1, self_attention (nn.MultiheadAttention,
batch_first), ln_2, mlp.0, mlp.3}.*', 'encoder.ln.*', 'heads.head.*'; LayerNorm ε 1e-6 and exact GELU, as
torchvision's. Dropout is left out (p = 0 in torchvision's defaults).
"""
from collections import OrderedDict
from functools import partial

import torch
import torch.nn as nn


class MLPBlock(nn.Sequential):
    def __init__(self, dim, hidden):
        super().__init__(nn.Linear(dim, hidden), nn.GELU(), nn.Identity(), nn.Linear(hidden, dim), nn.Identity())


class EncoderBlock(nn.Module):
    def __init__(self, heads, dim, hidden, norm):
        super().__init__()
        self.ln_1 = norm(dim)
        self.self_attention = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.ln_2 = norm(dim)
        self.mlp = MLPBlock(dim, hidden)

    def forward(self, x):
        y = self.ln_1(x)
        y, _ = self.self_attention(y, y, y, need_weights=False)
        x = x + y
        return x + self.mlp(self.ln_2(x))


class Encoder(nn.Module):
    def __init__(self, seq, depth, heads, dim, hidden, norm):
        super().__init__()
        self.pos_embedding = nn.Parameter(torch.empty(1, seq, dim).normal_(std=0.02))
        # named as torchvision's OrderedDict does: encoder_layer_0, encoder_layer_1, …
        self.layers = nn.Sequential(
            OrderedDict((f"encoder_layer_{i}", EncoderBlock(heads, dim, hidden, norm)) for i in range(depth)))
        self.ln = norm(dim)

    def forward(self, x):
        return self.ln(self.layers(x + self.pos_embedding))


class VisionTransformer(nn.Module):
    def __init__(self, image_size, patch, depth, heads, dim, mlp_dim, num_classes):
        super().__init__()
        self.patch = patch
        self.dim = dim
        self.conv_proj = nn.Conv2d(3, dim, patch, patch)
        self.class_token = nn.Parameter(torch.zeros(1, 1, dim))
        seq = (image_size // patch) ** 2 + 1
        self.encoder = Encoder(seq, depth, heads, dim, mlp_dim, partial(nn.LayerNorm, eps=1e-6))
        self.heads = nn.Sequential(OrderedDict(head=nn.Linear(dim, num_classes)))

    def forward(self, x):
        n = x.shape[0]
        x = self.conv_proj(x).reshape(n, self.dim, -1).permute(0, 2, 1)
        x = torch.cat([self.class_token.expand(n, -1, -1), x], dim=1)
        return self.heads(self.encoder(x)[:, 0])
