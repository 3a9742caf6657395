"""pp ops that decode encoded images (`decode`), and `decode_file` for the
local-file loaders; undecodable bytes are a `pp_keys.CorruptRecordError`."""

import io
from typing import Sequence

import numpy as np
from PIL import Image

from jaxvision.data import pp_keys

_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    Image.DecompressionBombError,
)


def _decode_one(
    data: bytes, channels: int | None, reduce_to: int | None
) -> np.ndarray:
  mode = {1: "L", 3: "RGB", None: None}[channels]
  try:
    with Image.open(io.BytesIO(data)) as img:
      if reduce_to is not None:
        # NOTE: draft() is a no-op for non-JPEG files; for JPEG it picks the
        # largest DCT scale (1/2, 1/4, 1/8) keeping both sides >= reduce_to.
        img.draft(mode, (reduce_to, reduce_to))
      img = img.convert(mode) if mode and img.mode != mode else img
      arr = np.asarray(img)
  except _DECODE_ERRORS as e:
    raise pp_keys.CorruptRecordError(
        f"cannot decode image ({len(data)} bytes): {type(e).__name__}: {e}"
    ) from e
  return arr[..., None] if channels == 1 else arr


def decode_file(path: str, mode: str | None = None) -> np.ndarray:
  """The pixels of image file `path`, converted to PIL `mode` if given.

  For the local-file loaders (KITTI, CelebA, ...): a file that exists but
  does not decode (truncated, garbled, not an image) raises
  CorruptRecordError naming it, so the pipeline skips and counts the record;
  a missing file stays a FileNotFoundError.
  """
  try:
    with Image.open(path) as img:
      return np.asarray(img.convert(mode) if mode and img.mode != mode else img)
  except FileNotFoundError:
    raise
  except _DECODE_ERRORS as e:
    raise pp_keys.CorruptRecordError(
        f"cannot decode image {path}: " f"{type(e).__name__}: {e}"
    ) from e


def decode(
    keys: str | Sequence[str] = ("image",),
    channels: int | None = 3,
    reduce_to: int | None = None,
) -> pp_keys.Op:
  """Decodes encoded image bytes (JPEG/PNG/...) to uint8 (H, W, C) with PIL.

  Args:
    keys: features holding encoded bytes. A list/1-D array of encoded frames
      decodes to a clip (T, H, W, C). Already-decoded numeric arrays (raw
      synthetic images, TFDS-decoded features) pass through unchanged.
    channels: 3 -> RGB, 1 -> grayscale (H, W, 1), None -> the file's own mode
      (e.g. 16-bit depth PNGs).
    reduce_to: decode JPEGs at reduced size (PIL `Image.draft`) so the shorter
      side is >= reduce_to; much cheaper for low-resolution training.

  Raises (when applied):
    CorruptRecordError: the bytes are not a decodable image.
  """
  keys = pp_keys.as_keys(keys, "decode")
  if channels not in (1, 3, None):
    raise pp_keys.PPError(
        f"pp op decode: channels must be 1, 3 or None, got " f"{channels!r}."
    )

  def op(example: pp_keys.Example, rng: np.random.Generator) -> pp_keys.Example:
    del rng
    out = dict(example)
    for key in keys:
      value = pp_keys.get(example, key, "decode")
      if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
      if isinstance(value, (bytes, np.bytes_)):
        out[key] = _decode_one(bytes(value), channels, reduce_to)
      elif isinstance(value, (list, tuple)) or (
          isinstance(value, np.ndarray) and value.dtype.kind in "OS"
      ):
        frames = [
            _decode_one(bytes(f), channels, reduce_to)
            for f in np.asarray(value, dtype=object).reshape(-1)
        ]
        if len({f.shape for f in frames}) != 1:
          raise pp_keys.CorruptRecordError(
              f"clip {key!r} has frames of different sizes "
              f"{[f.shape for f in frames]}."
          )
        out[key] = np.stack(frames)
      elif not (isinstance(value, np.ndarray) and value.dtype.kind in "uif"):
        raise pp_keys.PPError(
            f"pp op decode: {key!r} is {type(value).__name__}, expected "
            "encoded bytes or a decoded array."
        )
    return out

  return op
