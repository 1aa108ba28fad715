#!/usr/bin/env python3
"""Golden fixture for ROAD: pytorch-grad-cam's own road.py run on a small image, map and model.

Run from the repository root with the Debian python (torch 1.13, scipy, opencv), giving a checkout of
jacobgil/pytorch-grad-cam (its source is imported from there, never copied into this repository):

    git clone https://github.com/jacobgil/pytorch-grad-cam /tmp/pytorch-grad-cam
    /usr/bin/python3 scripts/golden/make_road_fixture.py /tmp/pytorch-grad-cam

A folder that is not a git checkout (e.g. `git archive <commit> pytorch_grad_cam` of a mirror) works too; pass the
commit as a second argument so the fixture records it. The fixture always records road.py's SHA-256.

It writes test/fixtures/golden/road/{index.json,tensors.bin}: tensors.bin is little-endian float32 back to back,
index.json names every tensor with its shape and byte offset (the layout of the other golden fixtures).

- image: face-api's demo photo sample1.jpg (MIT, node_modules/@vladmandic/face-api/demo), its central square
  resized to 24×24 (cv2.INTER_AREA), RGB in [0, 1], ImageNet-normalised: the model's input tensor;
- map: a smooth synthetic 24×24 map (a blob plus a ramp, quantised to 1/40 so that ties cross the thresholds);
- model: Conv2d(3, 4, 5, stride 4, padding 2) → ReLU → flatten → Linear(144, 3), torch.manual_seed(0) weights,
  all stored so the TypeScript test rebuilds it with the graph builder;
- target: ClassifierOutputSoftmaxTarget of the predicted class (the class probability, as AU Lens reads it).

ROAD's noise is random, so two things are recorded:
1. noise disabled: for MoRF and LeRF at each percentile 10…90, the kept-pixel mask and the imputed image from
   RemoveMostRelevantFirst / RemoveLeastRelevantFirst with NoisyLinearImputer(noise=0);
2. a map whose lowest quarter is tied at 0 (as a ReLU'd CAM), where MoRF at 10 % keeps no pixel: what road.py's
   imputer makes of an image with nothing kept (noise off);
3. with road.py's noise: ROADCombined is run as is, with `torch.randn_like` in road.py's namespace wrapped to record
   every draw; each per-percentile ROAD metric is then re-run with those draws replayed, giving per-percentile
   scores whose averages reproduce ROADCombined's result (checked here). The TypeScript test feeds the same draws.
"""
import hashlib
import json
import os
import subprocess
import sys
import types

import cv2
import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "test", "fixtures", "golden", "road")
PHOTO = os.path.join(ROOT, "node_modules", "@vladmandic", "face-api", "demo", "sample1.jpg")
SIZE = 24
PERCENTILES = [10, 20, 30, 40, 50, 60, 70, 80, 90]
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


def import_road(checkout):
    """road.py from the checkout, without running the package's __init__ (it imports every CAM and their deps)."""
    package = types.ModuleType("pytorch_grad_cam")
    package.__path__ = [os.path.join(checkout, "pytorch_grad_cam")]
    sys.modules["pytorch_grad_cam"] = package
    from pytorch_grad_cam.metrics import road  # noqa: E402
    return road


def describe_checkout(checkout, road, commit):
    with open(road.__file__, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    if commit is None:
        try:
            git = ["git", "-C", checkout, "rev-parse", "HEAD"]
            commit = subprocess.run(git, capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            commit = "unknown (not a git checkout)"
    return {"commit": commit, "roadPySha256": digest}


class SoftmaxTarget:
    """pytorch-grad-cam's ClassifierOutputSoftmaxTarget (utils/model_targets.py, which also imports torchvision)."""

    def __init__(self, category):
        self.category = category

    def __call__(self, model_output):
        if len(model_output.shape) == 1:
            return torch.softmax(model_output, dim=-1)[self.category]
        return torch.softmax(model_output, dim=-1)[:, self.category]


def make_image():
    bgr = cv2.imread(PHOTO)
    assert bgr is not None, f"cannot read {PHOTO}; run npm install first"
    h, w = bgr.shape[:2]
    side = min(h, w)
    square = bgr[(h - side) // 2:(h - side) // 2 + side, (w - side) // 2:(w - side) // 2 + side]
    rgb = cv2.cvtColor(cv2.resize(square, (SIZE, SIZE), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB)
    x = torch.from_numpy(rgb.astype(np.float32) / 255).permute(2, 0, 1)
    return ((x - torch.tensor(MEAN).view(3, 1, 1)) / torch.tensor(STD).view(3, 1, 1)).contiguous()


def make_map():
    yy, xx = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64)
    blob = np.exp(-((xx - 15) ** 2 + (yy - 9) ** 2) / (2 * 4.5 ** 2))
    m = 0.7 * blob + 0.3 * (xx + 2 * yy) / (3 * (SIZE - 1))
    m = (m - m.min()) / (m.max() - m.min())
    return (np.round(m * 40) / 40).astype(np.float32)


def make_model():
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 5, stride=4, padding=2), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(144, 3))
    with torch.no_grad():
        model[3].weight *= 4  # a more decided model, so imputing pixels moves its probabilities visibly
    return model.eval()


class NoiseTape:
    """Wraps road.py's torch.randn_like: records each draw, or replays recorded ones in order."""

    def __init__(self, road):
        self.road = road
        self.real = road.torch.randn_like
        self.draws = []
        self.replay = None

    def __call__(self, t):
        if self.replay is not None:
            return self.replay.pop(0)
        draw = self.real(t)
        self.draws.append(draw.clone())
        return draw


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    checkout = os.path.abspath(sys.argv[1])
    commit = sys.argv[2] if len(sys.argv) == 3 else None
    road = import_road(checkout)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    image, cam, model = make_image(), make_map(), make_model()
    batch, cams = image.unsqueeze(0), cam[None]
    with torch.no_grad():
        probabilities = torch.softmax(model(batch), dim=-1)[0]
    target = int(probabilities.argmax())
    targets = [SoftmaxTarget(target)]

    tensors = [("image", image), ("map", torch.from_numpy(cam))]
    tensors += [(f"model/{k}", v) for k, v in model.state_dict().items()]
    tensors.append(("probabilities", probabilities))
    runs = [("morf", p) for p in PERCENTILES] + [("lerf", p) for p in PERCENTILES]
    removers = {"morf": road.RemoveMostRelevantFirst, "lerf": road.RemoveLeastRelevantFirst}
    metrics = {"morf": road.ROADMostRelevantFirst, "lerf": road.ROADLeastRelevantFirst}

    def noise_free(order, p, heatmap):
        """The mask road.py hands its imputer, and the imputed image, with the noise off."""
        masks = []
        imputer = road.NoisyLinearImputer(noise=0)
        remover = removers[order](p, lambda img, mask: masks.append(mask) or imputer(img, mask))
        imputed = remover(image, torch.from_numpy(heatmap))
        return masks[0], imputed

    # 1. Noise disabled.
    for order, p in runs:
        keep, imputed = noise_free(order, p, cam)
        tensors += [(f"{order}/{p}/keep", keep), (f"{order}/{p}/imputed", imputed)]

    # 2. Nothing kept: a map tied at 0 over its lowest quarter, MoRF at 10 %.
    plateau = np.where(cam < np.percentile(cam, 25), np.float32(0), cam).astype(np.float32)
    keep, imputed = noise_free("morf", 10, plateau)
    assert float(keep.sum()) == 0, "the plateau keeps no pixel at 10 %"
    tensors += [("plateau/map", torch.from_numpy(plateau)), ("plateau/morf/10/imputed", imputed)]

    # 3. road.py's own noise: ROADCombined as is, recording the draws (LeRF's percentiles first, then MoRF's).
    tape = NoiseTape(road)
    road.torch.randn_like = tape
    combined = float(road.ROADCombined(percentiles=PERCENTILES)(batch, cams, targets, model)[0])
    order_of_draws = [("lerf", p) for p in PERCENTILES] + [("morf", p) for p in PERCENTILES]
    assert len(tape.draws) == len(order_of_draws), "one noise draw per imputed image"
    draws = dict(zip(order_of_draws, tape.draws))
    scores = {}
    for order, p in runs:
        tape.replay = [draws[(order, p)]]
        scores[(order, p)] = float(metrics[order](p)(batch, cams, targets, model)[0])
        tensors.append((f"{order}/{p}/normals", draws[(order, p)]))
    road.torch.randn_like = tape.real
    mean = {o: float(np.mean([np.float32(scores[(o, p)]) for p in PERCENTILES])) for o in ("morf", "lerf")}
    assert abs((mean["lerf"] - mean["morf"]) / 2 - combined) < 1e-6, "replayed draws reproduce ROADCombined"

    blobs = [t.detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes() for _, t in tensors]
    offsets = np.cumsum([0] + [len(b) for b in blobs]).tolist()
    index = {
        "description": "pytorch-grad-cam's road.py on a 24x24 image, map and model (make_road_fixture.py)",
        "pytorchGradCam": describe_checkout(checkout, road, commit),
        "torch": torch.__version__, "numpy": np.__version__,
        "size": SIZE, "percentiles": PERCENTILES, "noise": 0.01, "target": target,
        "scores": {o: [scores[(o, p)] for p in PERCENTILES] for o in ("morf", "lerf")},
        "means": mean, "combined": combined,
        "tensors": [{"name": n, "shape": list(t.shape), "offset": at} for (n, t), at in zip(tensors, offsets)],
        "bytes": offsets[-1],
    }
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "tensors.bin"), "wb") as f:
        f.write(b"".join(blobs))
    with open(os.path.join(OUT, "index.json"), "w") as f:
        f.write(json.dumps(index, indent=1) + "\n")
    print(json.dumps({"target": target, "probabilities": probabilities.tolist(), "means": mean, "combined": combined}))


if __name__ == "__main__":
    main()
