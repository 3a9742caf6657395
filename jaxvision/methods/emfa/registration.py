"""Joint-guided player registration and the energy image (S4, Algorithm 1).

Camera pan/zoom moves the player across frames; registration aligns each
frame's player mask to a reference frame k before the masks are averaged into
one "energy image" (the gait energy image of Han & Bhanu, seed ref. 157).

Modes (`mode`):
  translation  shift M_j by C'_j - C_j, i.e. align a body anchor (hip
               midpoint, else shoulders/neck, else knees) with the same anchor
               of frame k. Default: an affine map sends a segment midpoint to
               the image segment's midpoint, so with both hips C'_j is the
               reference hip midpoint (spec S4).
  affine       warp M_j with the full Eq. 2.1 matrix from the (LHip, RHip,
               LShoulder) triangles of frames j and k; falls back to
               translation in frames where either triangle is missing.
  none         no registration (the ablation of Fig. 2.4).
Masks are warped bilinearly onto a canvas padded by `pad` of H and W on each
side and kept as floats (spec pitfall 15).
"""

import numpy as np

from jaxvision import user_errors
from jaxvision.methods.emfa import keypoints as kp_lib

MODES = ("translation", "affine", "none")
ANCHORS = ("hips", "shoulders", "knees")
ON_MISSING = ("drop", "keep_unregistered")
TRIANGLE = ("LHip", "RHip", "LShoulder")


def solve_affine(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
  """The 2x3 matrix T_A of Eq. 2.1 with dst = T_A @ [src; 1].

  Args:
    src: (3, 2) triangle of frame j, i.e. (x2, y2) in Eq. 2.1.
    dst: (3, 2) triangle of the reference frame k, i.e. (x1, y1).

  Raises:
    ValueError: for a degenerate (collinear) source triangle.
  """
  src = np.asarray(src, np.float64)
  dst = np.asarray(dst, np.float64)
  if src.shape != (3, 2) or dst.shape != (3, 2):
    raise ValueError(
        f"solve_affine needs two (3, 2) triangles, got "
        f"{src.shape} and {dst.shape}."
    )
  a = np.concatenate([src, np.ones((3, 1))], axis=1)
  if abs(np.linalg.det(a)) < 1e-9:
    raise ValueError(f"Degenerate (collinear) triangle {src.tolist()}.")
  return np.linalg.solve(a, dst).T


def anchor(joints: np.ndarray, kind: str) -> np.ndarray | None:
  """(x, y) of a body anchor in one frame's fused joints, or None.

  hips: LHip/RHip midpoint, else OpenPose MidHip; shoulders: shoulder
  midpoint, else neck; knees: knee midpoint.
  """
  ok = lambda *names: all(joints[kp_lib.J[n], 2] > 0 for n in names)
  xy = lambda n: joints[kp_lib.J[n], :2].astype(np.float64)
  pairs = {
      "hips": (("LHip", "RHip"), "MidHip"),
      "shoulders": (("LShoulder", "RShoulder"), "Neck"),
      "knees": (("LKnee", "RKnee"), None),
  }
  if kind not in pairs:
    raise ValueError(f"Unknown anchor {kind!r}; valid: {ANCHORS}.")
  (a, b), single = pairs[kind]
  if ok(a, b):
    return (xy(a) + xy(b)) / 2
  if single is not None and ok(single):
    return xy(single)
  return None


def reference_index(joints: np.ndarray, fallback=ANCHORS) -> int | None:
  """First frame with a valid hip pair, else the first with any anchor."""
  for j in range(len(joints)):
    if anchor(joints[j], "hips") is not None:
      return j
  for j in range(len(joints)):
    if any(anchor(joints[j], kind) is not None for kind in fallback):
      return j
  return None


def matched_anchors(
    joints_j: np.ndarray, joints_k: np.ndarray, fallback=ANCHORS
):
  """(kind, anchor_j, anchor_k) of the first kind valid in both frames.

  NOTE: the same anchor type is used in both frames; aligning a hip in one
  frame with a shoulder in another would shift the player (pitfall 4).
  """
  for kind in fallback:
    a_j, a_k = anchor(joints_j, kind), anchor(joints_k, kind)
    if a_j is not None and a_k is not None:
      return kind, a_j, a_k
  return None


def triangle(joints: np.ndarray, names=TRIANGLE) -> np.ndarray | None:
  """(3, 2) triangle of one frame's own joints (spec pitfall 2), or None."""
  idx = [kp_lib.J[n] for n in names]
  if np.all(joints[idx, 2] > 0):
    return joints[idx, :2].astype(np.float64)
  return None


def _paste(
    out: np.ndarray, image: np.ndarray, ox: int, oy: int, weight: float
) -> None:
  """out[oy + y, ox + x] += weight * image[y, x], clipped to `out`."""
  h, w = image.shape
  ys, xs = max(oy, 0), max(ox, 0)
  ye, xe = min(oy + h, out.shape[0]), min(ox + w, out.shape[1])
  if weight and ye > ys and xe > xs:
    out[ys:ye, xs:xe] += weight * image[ys - oy : ye - oy, xs - ox : xe - ox]


def _translate(
    image: np.ndarray, dx: float, dy: float, out_shape: tuple[int, int]
) -> np.ndarray:
  """Bilinear sub-pixel shift: out(x, y) = image(x - dx, y - dy)."""
  ix, iy = int(np.floor(dx)), int(np.floor(dy))
  fx, fy = dx - ix, dy - iy
  out = np.zeros(out_shape, np.float32)
  for oy, wy in ((iy, 1 - fy), (iy + 1, fy)):
    for ox, wx in ((ix, 1 - fx), (ix + 1, fx)):
      _paste(out, image, ox, oy, wy * wx)
  return out


def warp(
    image: np.ndarray, matrix: np.ndarray, out_shape: tuple[int, int]
) -> np.ndarray:
  """Bilinear warp: out(p) = image(matrix^-1 p); zeros outside.

  Args:
    image: (H, W) float map.
    matrix: 2x3 affine map from image coordinates to output coordinates.
    out_shape: (H_out, W_out).
  """
  matrix = np.asarray(matrix, np.float64)
  if np.array_equal(matrix[:, :2], np.eye(2)):
    # NOTE: pure translations (every frame in translation mode) take a
    # slice-and-add path; the general gather is an order of magnitude slower.
    return _translate(
        np.asarray(image, np.float32), matrix[0, 2], matrix[1, 2], out_shape
    )
  return _gather(image, matrix, out_shape)


def _gather(
    image: np.ndarray, matrix: np.ndarray, out_shape: tuple[int, int]
) -> np.ndarray:
  """General bilinear warp by inverse mapping of every output pixel."""
  full = np.vstack([matrix, [0, 0, 1]])
  inv = np.linalg.inv(full)[:2]
  ys, xs = np.mgrid[0 : out_shape[0], 0 : out_shape[1]].astype(np.float64)
  sx = inv[0, 0] * xs + inv[0, 1] * ys + inv[0, 2]
  sy = inv[1, 0] * xs + inv[1, 1] * ys + inv[1, 2]
  x0, y0 = np.floor(sx).astype(np.int64), np.floor(sy).astype(np.int64)
  fx, fy = sx - x0, sy - y0
  h, w = image.shape
  out = np.zeros(out_shape, np.float64)
  for dy, wy in ((0, 1 - fy), (1, fy)):
    for dx, wx in ((0, 1 - fx), (1, fx)):
      yy, xx = y0 + dy, x0 + dx
      inside = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
      vals = image[np.clip(yy, 0, h - 1), np.clip(xx, 0, w - 1)]
      out += np.where(inside, vals, 0.0) * wy * wx
  return out.astype(np.float32)


def _translation(offset) -> np.ndarray:
  return np.array([[1, 0, offset[0]], [0, 1, offset[1]]], np.float64)


def register(
    masks: np.ndarray,
    joints: np.ndarray,
    mode: str = "translation",
    fallback=ANCHORS,
    on_missing: str = "drop",
    pad: float = 0.5,
) -> dict[str, np.ndarray]:
  """Algorithm 1: registered masks on a padded canvas and the energy image.

  Args:
    masks: (n, H, W) player (+ ball) masks in [0, 1].
    joints: (n, len(JOINTS), 3) fused joints (`keypoints.fuse`).
    mode: one of MODES.
    fallback: anchor priority (subset/order of ANCHORS).
    on_missing: frames without an anchor shared with frame k are dropped from
      the average ("drop") or averaged unregistered ("keep_unregistered").
    pad: canvas padding per side, as a fraction of H and W.

  Returns:
    dict with registered (n, H', W') float32, used (n,) bool (frames in the
    average), matrices (n, 2, 3) frame -> canvas maps, anchors (n, 2) each
    frame's anchor in its own coordinates (NaN where none), reference (int,
    -1 if no frame has an anchor) and energy (H', W') float32 in [0, 1].
  """
  for name, value, valid in (
      ("mode", mode, MODES),
      ("on_missing", on_missing, ON_MISSING),
  ):
    if value not in valid:
      raise user_errors.InvalidValueError(
          f"registration.{name}={value!r}; valid: {valid}."
      )
  if set(fallback) - set(ANCHORS):
    raise user_errors.InvalidValueError(
        f"registration.fallback must use {ANCHORS}, got " f"{tuple(fallback)}."
    )
  masks = np.asarray(masks, np.float32)
  if masks.ndim != 3 or joints.shape[:1] != masks.shape[:1]:
    raise ValueError(
        f"masks (n, H, W) {masks.shape} and joints (n, J, 3) "
        f"{joints.shape} must have the same n."
    )
  n, h, w = masks.shape
  ph, pw = int(round(pad * h)), int(round(pad * w))
  canvas = (h + 2 * ph, w + 2 * pw)
  k = reference_index(joints, fallback)
  matrices = np.zeros((n, 2, 3))
  used = np.zeros(n, bool)
  anchors = np.full((n, 2), np.nan)
  for j in range(n):
    offset = np.array([pw, ph], np.float64)
    match = (
        None if k is None else matched_anchors(joints[j], joints[k], fallback)
    )
    if match is not None:
      anchors[j] = match[1]
    if mode == "none":
      matrices[j], used[j] = _translation(offset), True
    elif match is None:
      matrices[j] = _translation(offset)
      used[j] = on_missing == "keep_unregistered"
    else:
      tri_j, tri_k = triangle(joints[j]), triangle(joints[k])
      if mode == "affine" and tri_j is not None and tri_k is not None:
        m = solve_affine(tri_j, tri_k)
        matrices[j] = m + np.array([[0, 0, pw], [0, 0, ph]])
      else:
        matrices[j] = _translation(match[2] - match[1] + offset)
      used[j] = True
  registered = np.stack([warp(masks[j], matrices[j], canvas) for j in range(n)])
  energy = (
      registered[used].mean(0) if used.any() else np.zeros(canvas, np.float32)
  )
  return {
      "registered": registered,
      "used": used,
      "matrices": matrices,
      "anchors": anchors,
      "reference": -1 if k is None else k,
      "energy": energy.astype(np.float32),
  }
