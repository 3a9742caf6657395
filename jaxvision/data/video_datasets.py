"""Local violence-detection video datasets: Hockey Fights, Movies, Violent Flows.

Nothing is downloaded: `list_clips(name, root)` walks an unpacked archive
under `root`, where every clip is either a video file (.avi, .mp4, .mpg,
.mpeg, .mov, .mkv; decoded with PyAV, the optional `video` extra) or a
folder of frame images (.png, .jpg, .jpeg, .bmp; sorted by name, read with
PIL). Labels (1 = violent) come from the public archives' layouts:

  hockey         file or folder name prefix: fi* = fight, no* = non-fight
                 (HockeyFights: fi1_xvid.avi ... no500_xvid.avi).
  movies         an ancestor folder named fights / fight (1) or
                 nofights / nofight / nonfights (0), case-insensitive.
  violent_flows  an ancestor folder named violence (1) or nonviolence /
                 non-violence (0); a folder named 1..5 above it is kept as
                 the official benchmark fold (the dissertation used its own
                 random folds instead).

`ClipSource` is a random-access source for `jaxvision.data.pipeline`: record
i is {"frames": uint8 (T, H, W, 3), "label": int32}, T evenly spaced frames
of the clip at native resolution (pp ops resize/crop/flip clips with the
same parameters for every frame). An undecodable clip raises
`pp.CorruptRecordError`, which the pipeline skips and counts.
"""

import dataclasses
import os
import re
from typing import Any, Callable

import numpy as np

from jaxvision import user_errors
from jaxvision.data import pp

VIDEO_EXTENSIONS = (".avi", ".mp4", ".mpg", ".mpeg", ".mov", ".mkv")
FRAME_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp")


@dataclasses.dataclass(frozen=True)
class Clip:
  """One labelled clip: a video file or a folder of frames."""

  path: str
  label: int
  video_id: str
  official_fold: int = -1


def _hockey_label(rel_parts: list[str]) -> int | None:
  name = rel_parts[-1].lower()
  if name.startswith("fi"):
    return 1
  if name.startswith("no"):
    return 0
  return None


def _folder_label(names: dict[str, int]) -> Callable[[list[str]], int | None]:
  def label(rel_parts: list[str]) -> int | None:
    for part in reversed(rel_parts[:-1]):
      key = re.sub(r"[\s_-]", "", part.lower())
      if key in names:
        return names[key]
    return None

  return label


_LAYOUTS = {
    "hockey": (
        _hockey_label,
        "files or frame folders named fi* (fight) and no* "
        "(non-fight), e.g. ROOT/fi1_xvid.avi, ROOT/no1_xvid.avi",
    ),
    "movies": (
        _folder_label(
            {
                "fights": 1,
                "fight": 1,
                "nofights": 0,
                "nofight": 0,
                "nonfights": 0,
            }
        ),
        "ROOT/fights/*.avi and ROOT/noFights/*.avi (or frame "
        "folders in them)",
    ),
    "violent_flows": (
        _folder_label({"violence": 1, "nonviolence": 0}),
        "ROOT/<fold 1..5>/Violence/*.avi and "
        "ROOT/<fold 1..5>/NonViolence/*.avi",
    ),
}
DATASETS = tuple(_LAYOUTS)


def _official_fold(rel_parts: list[str]) -> int:
  for part in reversed(rel_parts[:-1]):
    if part.isdigit():
      return int(part)
  return -1


def _is_frame(name: str) -> bool:
  return name.lower().endswith(FRAME_EXTENSIONS)


def _candidates(root: str) -> list[str]:
  """Video files and frame folders under `root` (frame folders not entered)."""
  found = []
  for dirpath, dirnames, filenames in os.walk(root):
    dirnames.sort()
    if dirpath != root and any(_is_frame(f) for f in filenames):
      found.append(dirpath)
      dirnames[:] = []
      continue
    found += [
        os.path.join(dirpath, f)
        for f in sorted(filenames)
        if f.lower().endswith(VIDEO_EXTENSIONS)
    ]
  return found


def list_clips(name: str, root: str) -> list[Clip]:
  """Every labelled clip of dataset `name` under `root`, in sorted order.

  Raises:
    ValueError: unknown dataset name.
    FileNotFoundError: `root` is missing or holds no labelled clips; the
      message says which layout is expected.
  """
  if name not in _LAYOUTS:
    raise user_errors.InvalidValueError(
        f"Unknown violence dataset {name!r}; choose one of "
        f"{list(DATASETS)}."
    )
  label_fn, layout = _LAYOUTS[name]
  root = os.path.expanduser(root)
  hint = (
      f"Unpack the {name} archive so that it looks like {layout} "
      f"(ROOT={root!r}); nothing is downloaded."
  )
  if not os.path.isdir(root):
    raise FileNotFoundError(f"No {name} dataset directory at {root!r}. {hint}")
  clips = []
  for path in _candidates(root):
    parts = os.path.relpath(path, root).split(os.sep)
    label = label_fn(parts)
    if label is None:
      continue
    stem = os.path.splitext(parts[-1])[0]
    video_id = "/".join([*parts[:-1], stem])
    clips.append(Clip(path, label, video_id, _official_fold(parts)))
  if not clips:
    raise FileNotFoundError(f"No labelled {name} clips under {root!r}. {hint}")
  return clips


def sample_indices(num_available: int, num_frames: int) -> np.ndarray:
  """`num_frames` evenly spaced indices in [0, num_available), rounded.

  Short clips repeat indices (spec pitfall 14) instead of failing.
  """
  if num_available < 1:
    raise ValueError("cannot sample frames from an empty clip.")
  return np.round(np.linspace(0, num_available - 1, num_frames)).astype(int)


def _read_folder(path: str) -> list[str]:
  return [
      os.path.join(path, f) for f in sorted(os.listdir(path)) if _is_frame(f)
  ]


def _load_image(path: str) -> np.ndarray:
  return pp.decode_file(path, "RGB")  # corrupt: skipped and counted


def _import_av():
  try:
    import av  # pylint: disable=g-import-not-at-top
  except ImportError as e:
    raise ImportError(
        "Reading video files needs PyAV: `pip install av` (or "
        "the `video` extra: pip install 'jaxvision[video]'), or "
        "extract the clips to frame folders."
    ) from e
  return av


def _decode_video(path: str) -> list[np.ndarray]:
  av = _import_av()
  with av.open(path) as container:
    return [
        frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)
    ]


def read_clip(path: str, num_frames: int) -> np.ndarray:
  """uint8 (num_frames, H, W, 3): evenly spaced frames of a file or folder.

  Raises:
    pp.CorruptRecordError: the clip has no decodable frames, or its frames
      differ in size.
  """
  try:
    if os.path.isdir(path):
      files = _read_folder(path)
      frames = (
          [
              _load_image(files[i])
              for i in sample_indices(len(files), num_frames)
          ]
          if files
          else []
      )
    else:
      decoded = _decode_video(path)
      frames = (
          [decoded[i] for i in sample_indices(len(decoded), num_frames)]
          if decoded
          else []
      )
  except (OSError, ValueError) as e:
    raise pp.CorruptRecordError(
        f"cannot read clip {path!r}: " f"{type(e).__name__}: {e}"
    ) from e
  if not frames:
    raise pp.CorruptRecordError(f"clip {path!r} has no frames.")
  if len({f.shape for f in frames}) != 1:
    raise pp.CorruptRecordError(
        f"clip {path!r} has frames of different "
        f"sizes {sorted({f.shape for f in frames})}."
    )
  return np.stack(frames)


class ClipSource:
  """Random-access clips for the grain pipelines (decoded on access).

  Args:
    clips: the clips, e.g. a fold's subset of `list_clips(...)`.
    num_frames: frames sampled per clip (20 in the dissertation).
  """

  def __init__(self, clips: list[Clip], num_frames: int):
    if not clips:
      raise user_errors.InvalidValueError("ClipSource needs at least one clip.")
    if num_frames < 1:
      raise user_errors.InvalidValueError(
          f"num_frames must be >= 1, got {num_frames}."
      )
    self.clips = list(clips)
    self.num_frames = num_frames

  def __len__(self) -> int:
    return len(self.clips)

  def __getitem__(self, index: int) -> dict[str, Any]:
    clip = self.clips[index]
    return {
        "frames": read_clip(clip.path, self.num_frames),
        "label": np.int32(clip.label),
    }
