"""From a tracked clip to the network inputs: energy image + mask sequence.

This is the cacheable "prepare" step of the spec (S3-S4 output -> S5 input):
register the player's masks, crop a square around the energy image, and
crop T uniformly sampled per-frame masks. Everything is NumPy and runs in
each clip's own pixel coordinates before any resizing (spec pitfall 14).

Mask crops (`mask_crop`):
  anchor      the registered frame, cropped with the energy image's square,
              i.e. centred on the frame's registration anchor (the smoke
              default; temporal patterns are easiest to learn this way).
  player_box  square around the player box + `box_margin` per side.
  full_frame  the whole frame, zero-padded to a square.
"""

from typing import Any, Mapping

import numpy as np
from PIL import Image

from jaxvision import user_errors
from jaxvision.methods.emfa import keypoints as kp_lib
from jaxvision.methods.emfa import registration

MASK_CROPS = ("anchor", "player_box", "full_frame")


def sample_indices(n: int, t: int) -> np.ndarray:
  """round(linspace(0, n - 1, t)): uniform sampling, repeats for short clips."""
  if n < 1:
    raise ValueError("A clip needs at least one frame.")
  return np.round(np.linspace(0, n - 1, t)).astype(np.int64)


def crop_square(
    image: np.ndarray, center, side: float, out_size: int
) -> np.ndarray:
  """A side x side square centred at (x, y), zero outside, resized.

  PIL's bilinear resize of float images antialiases when shrinking (real
  clips are cropped from up to 1280x1920 frames to 224 px).
  """
  side = max(int(round(side)), 1)
  x0 = int(round(center[0] - side / 2))
  y0 = int(round(center[1] - side / 2))
  h, w = image.shape
  out = np.zeros((side, side), np.float32)
  ys, xs = max(y0, 0), max(x0, 0)
  ye, xe = min(y0 + side, h), min(x0 + side, w)
  if ye > ys and xe > xs:
    out[ys - y0 : ye - y0, xs - x0 : xe - x0] = image[ys:ye, xs:xe]
  if side == out_size:
    return out
  return np.asarray(
      Image.fromarray(out, mode="F").resize(
          (out_size, out_size), Image.Resampling.BILINEAR
      ),
      np.float32,
  )


def energy_box(
    energy: np.ndarray, margin: float, side: int = 0
) -> tuple[np.ndarray, float]:
  """(centre, side) of the square around the non-zero energy pixels.

  `side` > 0 fixes the side in pixels (the smoke task's 32 px); otherwise it
  is the longer bbox side plus `margin` of it on each side.
  """
  ys, xs = np.nonzero(energy > 1e-6)
  if ys.size == 0:
    return np.array(energy.shape[::-1], np.float64) / 2, float(
        side or max(energy.shape)
    )
  lo = np.array([xs.min(), ys.min()], np.float64)
  hi = np.array([xs.max(), ys.max()], np.float64) + 1
  auto = float((hi - lo).max() * (1 + 2 * margin))
  return (lo + hi) / 2, float(side) if side else auto


def prepare_clip(
    clip: Mapping[str, Any], cfg: Mapping[str, Any]
) -> dict[str, np.ndarray]:
  """Network inputs of one tracked clip.

  Args:
    clip: `masks` (n, H, W) player (+ ball) masks; `joints` (n, J, 3) fused
      joints; optional `boxes` (n, 4) xyxy player boxes (for
      mask_crop='player_box') and `frame_valid` (n,) bool.
    cfg: the `preprocess` config: registration (mode, fallback, on_missing,
      pad), num_frames, image_size, mask_crop, crop_side, energy_margin,
      box_margin.

  Returns:
    energy (S, S) float32 in [0, 1], mask_seq (T, S, S) float32 in [0, 1],
    frame_valid (T,) bool, registered_frames (int, frames in the average).
  """
  reg_cfg = cfg["registration"]
  masks = np.asarray(clip["masks"], np.float32)
  joints = np.asarray(clip["joints"], np.float32)
  valid = np.asarray(clip.get("frame_valid", np.ones(len(masks), bool)), bool)
  masks, joints = masks * valid[:, None, None], joints * valid[:, None, None]
  reg = registration.register(
      masks,
      joints,
      mode=reg_cfg["mode"],
      fallback=tuple(reg_cfg["fallback"]),
      on_missing=reg_cfg["on_missing"],
      pad=reg_cfg["pad"],
  )
  size, crop_mode = cfg["image_size"], cfg["mask_crop"]
  if crop_mode not in MASK_CROPS:
    raise user_errors.InvalidValueError(
        f"preprocess.mask_crop={crop_mode!r}; valid: " f"{MASK_CROPS}."
    )
  centre, side = energy_box(
      reg["energy"], cfg["energy_margin"], cfg.get("crop_side", 0)
  )
  energy = crop_square(reg["energy"], centre, side, size)
  idx = sample_indices(len(masks), cfg["num_frames"])
  seq, seq_valid = [], []
  for j in idx:
    ok = bool(valid[j])
    if crop_mode == "anchor":
      # The registered frame cropped like the energy image: the square is
      # centred on this frame's anchor mapped onto the reference anchor.
      ok &= bool(reg["used"][j])
      seq.append(crop_square(reg["registered"][j], centre, side, size))
    elif crop_mode == "player_box":
      box = np.asarray(clip["boxes"][j], np.float64)
      ok &= bool(np.isfinite(box).all() and (box[2:] > box[:2]).all())
      box_side = (box[2:] - box[:2]).max() * (1 + 2 * cfg["box_margin"])
      seq.append(
          crop_square(
              masks[j], (box[:2] + box[2:]) / 2, box_side if ok else 1, size
          )
      )
    else:
      h, w = masks.shape[1:]
      seq.append(crop_square(masks[j], (w / 2, h / 2), max(h, w), size))
    seq_valid.append(ok)
  seq_valid = np.asarray(seq_valid, bool)
  if not seq_valid.any():
    # NOTE: attention needs at least one valid key; an all-invalid clip
    # attends to its (empty) crops rather than producing NaNs.
    seq_valid[:] = True
  return {
      "energy": np.clip(energy, 0, 1),
      "mask_seq": np.clip(np.stack(seq), 0, 1),
      "frame_valid": seq_valid,
      "registered_frames": int(reg["used"].sum()),
  }


def joints_from_clip(
    clip: Mapping[str, Any], cfg: Mapping[str, Any]
) -> np.ndarray:
  """Fused joints of a tracked clip (`kps_coco17` / `kps_body25` arrays)."""
  kcfg = cfg["keypoints"]
  return kp_lib.fuse(
      clip.get("kps_coco17"),
      clip.get("kps_body25"),
      sources=tuple(kcfg["sources"]),
      krcnn_thresh=kcfg["krcnn_thresh"],
      openpose_thresh=kcfg["openpose_thresh"],
  )
