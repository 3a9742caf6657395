"""Random-access sources over local copies of image-text and image-classification datasets.

Every source has `__len__` and `__getitem__(i) -> dict`, the protocol of a grain `MapDataset.source` /
`RandomAccessDataSource`. Images are returned **encoded** (the file's bytes) under 'image'; decoding, resizing
and tokenisation happen in the preprocessing ops (`jaxvision.data.pp`). Sources hold only paths and small index
arrays, so they pickle cheaply into grain worker processes.

- `KarpathyCaptions` (`coco_karpathy`, `flickr30k_karpathy`): a Karpathy split json + its image directory;
  examples {'image', 'captions' (list of str)}.
- `ImageFolder`: `root/<class or wnid>/*.JPEG`; examples {'image', 'label' (int32)}.
- `TarShards`: webdataset-style tars with `<key>.jpg` + `<key>.txt`; examples {'image', 'caption' (str)}.

NOTE: 'captions' has a variable length (COCO images have 5 to 7 captions), so it must be tokenised and padded to a
fixed [C, L] (with a 'caption_mask') before batching; see `jaxvision.evaluators.retrieval.evaluate`.
"""

import collections
import difflib
import glob
import json
import os
import tarfile
from typing import Any, Sequence

import numpy as np

from jaxvision import user_errors

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.webp', '.bmp')
KARPATHY_SPLITS = ('train', 'restval', 'val', 'test')

COCO_LAYOUT = """expected COCO Karpathy layout:
  <root>/dataset_coco.json   (Karpathy splits, from the `caption_datasets.zip` release)
  <root>/train2014/COCO_train2014_*.jpg
  <root>/val2014/COCO_val2014_*.jpg"""

FLICKR30K_LAYOUT = """expected Flickr30K Karpathy layout:
  <root>/dataset_flickr30k.json   (Karpathy splits, from the `caption_datasets.zip` release)
  <root>/flickr30k-images/<image id>.jpg"""

IMAGE_FOLDER_LAYOUT = """expected class-folder layout (ImageNet val / -A / -R / -V2 / -Sketch style):
  <root>/<class name or wnid>/<image>.JPEG   (one folder per class; labels follow sorted folder names, or the
  line order of `class_index_file` when given)"""

TAR_LAYOUT = """expected webdataset-style shards: uncompressed `*.tar` files whose members come in pairs
  <key>.jpg (or .jpeg/.png/.webp) + <key>.txt (the caption, UTF-8); <key> is the member path up to the first dot
  of its file name."""


def _read_bytes(path: str, layout: str) -> bytes:
  try:
    with open(path, 'rb') as f:
      return f.read()
  except FileNotFoundError:
    raise FileNotFoundError(
        f'Image file {path!r} is missing; {layout}'
    ) from None


def _check_split(
    split: str | Sequence[str], available: Sequence[str]
) -> tuple[str, ...]:
  splits = (split,) if isinstance(split, str) else tuple(split)
  for s in splits:
    if s not in KARPATHY_SPLITS:
      close = difflib.get_close_matches(s, KARPATHY_SPLITS, n=1)
      hint = f' Did you mean {close[0]!r}?' if close else ''
      raise user_errors.InvalidValueError(
          f'Unknown Karpathy split {s!r}.{hint} Splits: {KARPATHY_SPLITS} (the full COCO training '
          f"set is ('train', 'restval')); this file has {sorted(available)}."
      )
  return splits


class KarpathyCaptions:
  """Images and their captions from a Karpathy-split json (`dataset_coco.json`, `dataset_flickr30k.json`).

  Each json entry has 'filename', optionally 'filepath' (COCO's 'train2014'/'val2014' sub-folder), 'split' and
  'sentences' (a list of {'raw': caption, ...}); the image is read from `image_dir/[filepath/]filename`.
  Examples: {'image': encoded bytes, 'captions': list of str (the 'raw' sentences, stripped)}.

  Args:
    annotations_path: the Karpathy json.
    image_dir: the directory the json's (filepath/)filename entries are relative to.
    split: one split name or several (e.g. ('train', 'restval') for the full COCO training set).
    layout: the expected on-disk layout, quoted in missing-file errors.
  """

  def __init__(
      self,
      annotations_path: str | os.PathLike[str],
      image_dir: str | os.PathLike[str],
      split: str | Sequence[str] = 'test',
      layout: str = '',
  ):
    annotations_path, image_dir = os.fspath(annotations_path), os.fspath(
        image_dir
    )
    self._layout = (
        layout
        or 'expected a Karpathy-format json and the directory its filenames are relative to.'
    )
    if not os.path.isfile(annotations_path):
      raise FileNotFoundError(
          f'Karpathy annotation file {annotations_path!r} not found; {self._layout}'
      )
    if not os.path.isdir(image_dir):
      raise FileNotFoundError(
          f'Image directory {image_dir!r} not found; {self._layout}'
      )
    with open(annotations_path, encoding='utf-8') as f:
      data = json.load(f)
    entries = data.get('images') if isinstance(data, dict) else None
    if not isinstance(entries, list):
      raise user_errors.InvalidValueError(
          f"{annotations_path!r} has no 'images' list; it is not a Karpathy split file. "
          f'{self._layout}'
      )
    available = {e.get('split') for e in entries}
    self.splits = _check_split(split, [s for s in available if s])
    self._paths: list[str] = []
    self._captions: list[list[str]] = []
    for entry in entries:
      if entry.get('split') not in self.splits:
        continue
      sentences = entry.get('sentences') or []
      if not sentences or any('raw' not in s for s in sentences):
        raise user_errors.InvalidValueError(
            f"Entry {entry.get('filename')!r} of {annotations_path!r} needs a non-empty 'sentences' "
            "list whose items all have a 'raw' caption."
        )
      captions = [s['raw'].strip() for s in sentences]
      self._paths.append(
          os.path.join(image_dir, entry.get('filepath', ''), entry['filename'])
      )
      self._captions.append(captions)
    if not self._paths:
      raise user_errors.InvalidValueError(
          f'Split {self.splits} of {annotations_path!r} is empty; the file has splits '
          f'{sorted(s for s in available if s)}.'
      )

  def __len__(self) -> int:
    return len(self._paths)

  def __getitem__(self, index: int) -> dict[str, Any]:
    return {
        'image': _read_bytes(self._paths[index], self._layout),
        'captions': list(self._captions[index]),
    }

  def __repr__(self) -> str:
    return f'KarpathyCaptions(split={self.splits}, images={len(self)})'

  @property
  def num_captions(self) -> int:
    """Total number of captions (e.g. 5,000 for the Flickr30K test split, 25,010 for COCO test)."""
    return sum(len(c) for c in self._captions)


def coco_karpathy(
    root: str | os.PathLike[str], split: str | Sequence[str] = 'test'
) -> KarpathyCaptions:
  """COCO captions with Karpathy splits (test: 5,000 images, ~25,000 captions) from a local copy at `root`."""
  root = os.fspath(root)
  return KarpathyCaptions(
      os.path.join(root, 'dataset_coco.json'), root, split, layout=COCO_LAYOUT
  )


def flickr30k_karpathy(
    root: str | os.PathLike[str], split: str | Sequence[str] = 'test'
) -> KarpathyCaptions:
  """Flickr30K with Karpathy splits (test: 1,000 images, 5,000 captions) from a local copy at `root`."""
  root = os.fspath(root)
  return KarpathyCaptions(
      os.path.join(root, 'dataset_flickr30k.json'),
      os.path.join(root, 'flickr30k-images'),
      split,
      layout=FLICKR30K_LAYOUT,
  )


def _read_class_index(path: str) -> dict[str, int]:
  """Maps the first token of every non-empty line (a wnid or class name) to its line index."""
  if not os.path.isfile(path):
    raise FileNotFoundError(
        f'class_index_file {path!r} not found: expected one class per line in class-index '
        'order, the first whitespace-separated token being the folder name (e.g. the 1000 '
        'ImageNet wnids, or `LOC_synset_mapping.txt`).'
    )
  with open(path, encoding='utf-8') as f:
    keys = [line.split()[0] for line in f if line.strip()]
  duplicates = sorted(k for k, n in collections.Counter(keys).items() if n > 1)
  if duplicates:
    raise user_errors.InvalidValueError(
        f'class_index_file {path!r} lists classes more than once: {duplicates[:10]}.'
    )
  return {k: i for i, k in enumerate(keys)}


class ImageFolder:
  """Images in per-class folders, `root/<class>/*.<ext>`, labelled by class index.

  Without `class_index_file` the label is the index of the folder in the sorted folder names (ImageNet's own
  order, since its class index is the sorted wnid order). With it, the label is the line index of the folder
  name in that file: e.g. ImageNet-A / -R keep only 200 wnid folders, and mapping them through the 1000-wnid list
  puts their labels in the 1000-class space, to be scored with `zeroshot.accuracy(..., class_subset=
  source.class_subset)`. Files with other extensions are ignored.
  Examples: {'image': encoded bytes, 'label': int32}.
  """

  def __init__(
      self,
      root: str | os.PathLike[str],
      class_index_file: str | os.PathLike[str] | None = None,
      extensions: Sequence[str] = IMAGE_EXTENSIONS,
  ):
    root = os.fspath(root)
    if not os.path.isdir(root):
      raise FileNotFoundError(
          f'Image folder root {root!r} not found; {IMAGE_FOLDER_LAYOUT}'
      )
    self.classes = sorted(d.name for d in os.scandir(root) if d.is_dir())
    if not self.classes:
      raise user_errors.InvalidValueError(
          f'{root!r} has no class sub-folders; {IMAGE_FOLDER_LAYOUT}'
      )
    if class_index_file is None:
      index = {c: i for i, c in enumerate(self.classes)}
    else:
      index = _read_class_index(os.fspath(class_index_file))
      unknown = [c for c in self.classes if c not in index]
      if unknown:
        close = difflib.get_close_matches(unknown[0], list(index), n=1)
        hint = (
            f' (closest entry to {unknown[0]!r}: {close[0]!r})' if close else ''
        )
        raise user_errors.InvalidValueError(
            f'Class folders {unknown[:10]} of {root!r} are not listed in class_index_file '
            f'{os.fspath(class_index_file)!r}{hint}.'
        )
    suffixes = tuple(e.lower() for e in extensions)
    self._root = root
    self._paths: list[str] = []
    labels = []
    for name in self.classes:
      files = sorted(
          f
          for f in os.listdir(os.path.join(root, name))
          if f.lower().endswith(suffixes)
      )
      self._paths.extend(os.path.join(name, f) for f in files)
      labels.extend([index[name]] * len(files))
    if not self._paths:
      raise user_errors.InvalidValueError(
          f'No images with extensions {suffixes} under {root!r}; {IMAGE_FOLDER_LAYOUT}'
      )
    self._labels = np.asarray(labels, np.int32)

  def __len__(self) -> int:
    return len(self._paths)

  def __getitem__(self, index: int) -> dict[str, Any]:
    path = os.path.join(self._root, self._paths[index])
    return {
        'image': _read_bytes(path, IMAGE_FOLDER_LAYOUT),
        'label': self._labels[index],
    }

  def __repr__(self) -> str:
    return f'ImageFolder({self._root!r}, classes={len(self.classes)}, images={len(self)})'

  @property
  def class_subset(self) -> np.ndarray:
    """Sorted label values that occur (the 200 classes of ImageNet-A/R in the 1000-class space)."""
    return np.unique(self._labels)


def _expand_shards(
    shards: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
) -> list[str]:
  """Resolves files, directories (all `*.tar` inside) and glob patterns to a sorted, de-duplicated list."""
  specs = [shards] if isinstance(shards, (str, os.PathLike)) else list(shards)
  paths = set()
  for spec in map(os.fspath, specs):
    if os.path.isdir(spec):
      found = glob.glob(os.path.join(spec, '*.tar'))
    else:
      found = glob.glob(spec)
    if not found:
      raise FileNotFoundError(f'No tar shards match {spec!r}; {TAR_LAYOUT}')
    paths.update(found)
  return sorted(paths)


class TarShards:
  """Image-caption pairs read straight from webdataset-style tar shards, indexed once for random access.

  Construction scans the tar headers of every shard (no data is read) and records, per sample, the byte offset
  and size of its image and caption members; `__getitem__` then seeks and reads just those bytes. Samples are
  ordered by shard path, then by position in the shard.
  Examples: {'image': encoded bytes, 'caption': str}.

  Args:
    shards: a shard file, a directory of `*.tar`, a glob pattern, or a list of these.
    skip_incomplete: drop samples that lack an image or a caption member instead of raising.
  """

  def __init__(
      self,
      shards: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
      skip_incomplete: bool = False,
  ):
    self._shards = _expand_shards(shards)
    rows = []
    self.num_skipped = 0
    for shard_id, path in enumerate(self._shards):
      samples, incomplete = self._index_shard(path)
      if incomplete and not skip_incomplete:
        raise user_errors.InvalidValueError(
            f'{len(incomplete)} samples of {path!r} lack an image or a .txt caption (keys '
            f'{incomplete[:5]}); pass skip_incomplete=True to drop them. {TAR_LAYOUT}'
        )
      self.num_skipped += len(incomplete)
      rows.extend([shard_id, *offsets] for offsets in samples)
    if not rows:
      raise user_errors.InvalidValueError(
          f'The shards {self._shards[:3]}... contain no image-caption pairs; {TAR_LAYOUT}'
      )
    # Columns: shard id, image offset, image size, caption offset, caption size.
    self._index = np.asarray(rows, np.int64)

  @staticmethod
  def _index_shard(
      path: str,
  ) -> tuple[list[tuple[int, int, int, int]], list[str]]:
    """Returns (image offset, image size, text offset, text size) per complete sample, and incomplete keys."""
    members: dict[str, dict[str, tarfile.TarInfo]] = {}
    try:
      # NOTE: mode 'r:' (no compression) is required: compressed tars have no stable byte offsets to seek to.
      with tarfile.open(path, mode='r:') as tar:
        for info in tar:
          if not info.isfile():
            continue
          directory, name = os.path.split(info.name)
          stem, dot, extension = name.partition('.')
          if not dot:
            continue
          kind = (
              'image'
              if f'.{extension.lower()}' in IMAGE_EXTENSIONS
              else extension.lower()
          )
          parts = members.setdefault(os.path.join(directory, stem), {})
          if kind in parts:
            raise user_errors.InvalidValueError(
                f'Shard {path!r} has two {kind!r} members for key {os.path.join(directory, stem)!r}.'
            )
          parts[kind] = info
    except tarfile.ReadError as e:
      raise user_errors.InvalidValueError(
          f'{path!r} is not a readable uncompressed tar ({e}); {TAR_LAYOUT}'
      ) from None
    complete, incomplete = [], []
    for key, parts in members.items():
      if 'image' in parts and 'txt' in parts:
        image, text = parts['image'], parts['txt']
        complete.append(
            (image.offset_data, image.size, text.offset_data, text.size)
        )
      else:
        incomplete.append(key)
    return complete, incomplete

  def __len__(self) -> int:
    return len(self._index)

  def __getitem__(self, index: int) -> dict[str, Any]:
    shard_id, image_offset, image_size, text_offset, text_size = (
        int(v) for v in self._index[index]
    )
    with open(self._shards[shard_id], 'rb') as f:
      f.seek(image_offset)
      image = f.read(image_size)
      f.seek(text_offset)
      caption = f.read(text_size).decode('utf-8').strip()
    return {'image': image, 'caption': caption}

  def __repr__(self) -> str:
    return f'TarShards(shards={len(self._shards)}, samples={len(self)})'
