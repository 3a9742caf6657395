"""Vendored text assets (prompt templates, class names) shipped inside the package.

The framework cannot download anything at run time, so small public text assets live here as package data:

- `clip_imagenet_templates.txt`: the 80 ImageNet prompt templates of OpenAI CLIP, one per line, each with one
  `{}` placeholder for the class name.
- `clip_imagenet_classnames.txt`: the 1000 curated ImageNet class names of OpenAI CLIP, one per line, in
  ImageNet class-index order.

Both are transcribed verbatim from OpenAI CLIP's `notebooks/Prompt_Engineering_for_ImageNet.ipynb`.

Class-index files (`image_text.ImageFolder(class_index_file=...)`) for the ImageNet test sets of RECLIP's Table 3.1:

- `imagenet_wnids.txt`: the 1000 ImageNet-1k wnids in class-index order (the sorted wnids; copied from
  TensorFlow Datasets' `imagenet2012/labels.txt`, Apache-2.0). It maps the 200 wnid folders of ImageNet-A / -R
  into the 1000-class space; ImageNet-Sketch's 1000 wnid folders map to themselves.
- `imagenet_v2_class_index.txt`: `0` .. `999`, one per line: ImageNet-V2's folders are named by class index, and
  sorting them as strings (`0, 1, 10, 100, ...`) would scramble the labels.
"""

import difflib
import importlib.resources
import pathlib


def path(name: str) -> pathlib.Path:
  """Returns the filesystem path of the vendored asset `name` (e.g. 'clip_imagenet_templates.txt').

  Raises:
    FileNotFoundError: `name` is not a shipped asset; the message lists close matches and all assets.
  """
  root = importlib.resources.files(__name__)
  available = sorted(p.name for p in root.iterdir() if p.name.endswith('.txt'))
  if name not in available:
    close = difflib.get_close_matches(name, available, n=3)
    hint = f' Did you mean {close}?' if close else ''
    raise FileNotFoundError(
        f'Unknown asset {name!r}.{hint} Available assets: {available}.'
    )
  # NOTE: the package is installed as plain files (not zipped), so the Traversable is a real path.
  return pathlib.Path(str(root / name))
