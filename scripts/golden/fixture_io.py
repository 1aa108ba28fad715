"""The golden fixtures' file layout: tensors.bin holds the tensors back to back as little-endian float32;
index.json holds `index` plus each tensor's name, shape and byte offset (and the total as `bytes`)."""
import json
import os

import torch


def write_fixture(out_dir, tensors, index):
    """Writes [(name, tensor)] and `index` (which gains "tensors" and "bytes") under out_dir."""
    blobs = [t.detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes() for _, t in tensors]
    starts = [0]
    for blob in blobs:
        starts.append(starts[-1] + len(blob))
    index["tensors"] = [{"name": name, "shape": list(t.shape), "offset": at} for (name, t), at in zip(tensors, starts)]
    index["bytes"] = starts[-1]
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "tensors.bin"), "wb") as f:
        f.write(b"".join(blobs))
    with open(os.path.join(out_dir, "index.json"), "w") as f:
        f.write(json.dumps(index, indent=1) + "\n")
