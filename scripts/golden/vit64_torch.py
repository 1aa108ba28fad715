"""vit64 in PyTorch, laid out as timm's VisionTransformer (state_dict names 'cls_token', 'pos_embed',
'patch_embed.proj.*', 'blocks.i.{norm1,attn.qkv,attn.proj,norm2,mlp.fc1,mlp.fc2}.*', 'norm.*', 'head.*'), written
out here because Debian's torch 1.13 has no timm. Its forward also returns what AU Lens aligns with AU maps: each
block's patch tokens as a (N, C, g, g) grid and the class token's attention to the patches (N, heads, g, g).

`fixed_value(i, k)` is the weights' and the image's deterministic pattern, which test/unit/models/vitGolden.test.ts
recomputes exactly: 32-bit integer hashing only, and values that are multiples of 2^-15 in [-1, 1), which float32
holds exactly, so no random generator has to agree between Python and JavaScript.
"""
import numpy as np
import torch
import torch.nn as nn

ARCH = {"image_size": 64, "patch": 8, "width": 128, "depth": 6, "heads": 4, "mlp_ratio": 4, "eps": 1e-6}
NUM_CLASSES = 7
MASK = 0xFFFFFFFF


def fixed_value(n, k):
    """n values of stream k: (lowbias32(i + (k + 1)·0x9e3779b1) >> 16) / 2^15 − 1 for i < n, as float64."""
    x = (np.arange(n, dtype=np.uint64) + np.uint64(((k + 1) * 0x9E3779B1) & MASK)) & np.uint64(MASK)
    x ^= x >> np.uint64(16)
    x = (x * np.uint64(0x7FEB352D)) & np.uint64(MASK)
    x ^= x >> np.uint64(15)
    x = (x * np.uint64(0x846CA68B)) & np.uint64(MASK)
    x ^= x >> np.uint64(16)
    return (x >> np.uint64(16)).astype(np.float64) / 32768.0 - 1.0


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        """timm's Attention without the fused kernel; also returns the softmax weights (N, H, T, T)."""
        b, t, c = x.shape
        qkv = self.qkv(x).reshape(b, t, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        attn = ((q * self.scale) @ k.transpose(-2, -1)).softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(b, t, c)), attn


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, dim, heads, mlp_ratio, eps):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=eps)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=eps)
        self.mlp = Mlp(dim, dim * mlp_ratio)

    def forward(self, x):
        y, attn = self.attn(self.norm1(x))
        x = x + y
        return x + self.mlp(self.norm2(x)), attn


class PatchEmbed(nn.Module):
    def __init__(self, patch, dim):
        super().__init__()
        self.proj = nn.Conv2d(3, dim, patch, patch)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class ViT(nn.Module):
    def __init__(self, image_size, patch, width, depth, heads, mlp_ratio, eps, num_classes=NUM_CLASSES):
        super().__init__()
        self.grid = image_size // patch
        self.patch_embed = PatchEmbed(patch, width)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, width))
        self.pos_embed = nn.Parameter(torch.zeros(1, self.grid ** 2 + 1, width))
        self.blocks = nn.ModuleList([Block(width, heads, mlp_ratio, eps) for _ in range(depth)])
        self.norm = nn.LayerNorm(width, eps=eps)
        self.head = nn.Linear(width, num_classes)

    def forward(self, x):
        """(logits, [token grid (N, C, g, g) per block], [class-token attention (N, H, g, g) per block])."""
        n = x.shape[0]
        x = torch.cat([self.cls_token.expand(n, -1, -1), self.patch_embed(x)], dim=1) + self.pos_embed
        grids, cls_attn = [], []
        self.tokens, self.probs = [], []  # each block's output tokens and attention softmax, for gradients at them
        for block in self.blocks:
            x, attn = block(x)
            self.tokens.append(x)
            self.probs.append(attn)
            grids.append(x[:, 1:].transpose(1, 2).reshape(n, -1, self.grid, self.grid))
            cls_attn.append(attn[:, :, 0, 1:].reshape(n, -1, self.grid, self.grid))
        return self.head(self.norm(x)[:, 0]), grids, cls_attn


def vit64():
    return ViT(**ARCH)


# Scale and base of each parameter's fixed values by the end of its name: attention logits of order one, a
# residual stream that neither vanishes nor explodes over six blocks, and nothing zero (every gradient is exercised).
SCALES = [("cls_token", 0.0, 2 ** -3), ("pos_embed", 0.0, 2 ** -3), ("patch_embed.proj.weight", 0.0, 2 ** -4),
          ("patch_embed.proj.bias", 0.0, 2 ** -4), ("norm1.weight", 1.0, 2 ** -2), ("norm2.weight", 1.0, 2 ** -2),
          ("norm.weight", 1.0, 2 ** -2), ("norm1.bias", 0.0, 2 ** -3), ("norm2.bias", 0.0, 2 ** -3),
          ("norm.bias", 0.0, 2 ** -3), ("qkv.weight", 0.0, 2 ** -3), ("qkv.bias", 0.0, 2 ** -4),
          ("proj.weight", 0.0, 2 ** -4), ("proj.bias", 0.0, 2 ** -5), ("fc1.weight", 0.0, 2 ** -4),
          ("fc1.bias", 0.0, 2 ** -5), ("fc2.weight", 0.0, 2 ** -5), ("fc2.bias", 0.0, 2 ** -5),
          ("head.weight", 0.0, 2 ** -3), ("head.bias", 0.0, 2 ** -4)]


def fixed_weights(model):
    """Sets parameter k (state_dict order) to base + scale·fixed_value(·, k); returns [(name, shape, base, scale)]."""
    rows = []
    with torch.no_grad():
        for k, (name, p) in enumerate(model.named_parameters()):
            base, scale = next((b, s) for suffix, b, s in SCALES if name.endswith(suffix))
            p.copy_(torch.from_numpy(base + scale * fixed_value(p.numel(), k)).reshape(p.shape))
            rows.append((name, list(p.shape), base, scale))
    return rows


def fixed_image(batch, size, k=1000):
    return torch.from_numpy(fixed_value(batch * 3 * size * size, k)).float().reshape(batch, 3, size, size)

