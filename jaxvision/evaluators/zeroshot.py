"""Zero-shot classification with CLIP prompt ensembles (RECLIP spec §7.1, pitfall 11).

Class embeddings follow CLIP's prompt ensemble: for class c, embed every template t(c), L2-normalise each prompt
embedding, average over templates and L2-normalise again,
    w_c = normalize(mean_t normalize(f_txt(t(c)))).
The prediction for an image embedding p is argmax_c p·w_c. For ImageNet-A / -R the argmax is restricted to their
200 classes (`class_subset`, indices in the 1000-class space; labels stay in that space too).

Accuracies are **fractions in [0, 1]**. Ties are broken towards the lower class index (what `argmax` does).
NOTE: CLIP's published class-name list repeats 'missile' (classes 657 and 744) and 'sunglasses' (836 and
837); identical prompts give both classes of a pair the same embedding, so the lower index always wins the tie and
the higher one is never predicted top-1 (CLIP's reported numbers carry the same handicap).
"""

import os
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from jaxvision import assets
from jaxvision.data import tokenizers
from jaxvision.evaluators import retrieval

TEMPLATES_ASSET = 'clip_imagenet_templates.txt'
CLASSNAMES_ASSET = 'clip_imagenet_classnames.txt'


def _read_lines(path: str | os.PathLike[str], what: str) -> list[str]:
  """Reads one entry per line; trailing blank lines are ignored, blank lines inside the file are errors."""
  path = os.fspath(path)
  if not os.path.isfile(path):
    raise FileNotFoundError(
        f'{what} file not found at {path!r}: expected a UTF-8 text file with one entry per '
        f'line (the packaged default is `jaxvision/assets/`).'
    )
  with open(path, encoding='utf-8') as f:
    lines = f.read().rstrip('\n').split('\n')
  lines = [line.rstrip('\r') for line in lines]
  blank = [i + 1 for i, line in enumerate(lines) if not line.strip()]
  if blank:
    raise ValueError(
        f'{what} file {path!r} has blank lines {blank[:10]}; every line must hold one entry '
        '(a blank line would shift all later class indices).'
    )
  return lines


def _check_templates(templates: Sequence[str]) -> None:
  if not templates:
    raise ValueError('No prompt templates given.')
  bad = [t for t in templates if t.count('{}') != 1]
  if bad:
    raise ValueError(
        f'Every prompt template needs exactly one "{{}}" placeholder for the class name; bad: '
        f'{bad[:5]}.'
    )


def load_templates(path: str | os.PathLike[str] | None = None) -> list[str]:
  """Prompt templates, one per line, each with one `{}`; default: CLIP's 80 ImageNet templates."""
  templates = _read_lines(
      assets.path(TEMPLATES_ASSET) if path is None else path, 'Prompt templates'
  )
  _check_templates(templates)
  return templates


def load_classnames(path: str | os.PathLike[str] | None = None) -> list[str]:
  """Class names, one per line in class-index order; default: CLIP's 1000 curated ImageNet names."""
  return _read_lines(
      assets.path(CLASSNAMES_ASSET) if path is None else path, 'Class names'
  )


def class_embeddings(
    embed_texts: Callable[[np.ndarray], Any],
    tokenizer: tokenizers.Tokenizer,
    classnames: Sequence[str],
    templates: Sequence[str],
    max_len: int,
    batch_size: int = 256,
) -> np.ndarray:
  """Builds the prompt-ensemble classifier: float32 [num_classes, E], unit-norm rows.

  Args:
    embed_texts: maps int32 tokens [batch_size, max_len] to embeddings [batch_size, E]. It is always called with
      exactly `batch_size` rows (the last batch is padded with all-padding rows, then dropped) so a jitted
      function compiles once.
    tokenizer: encodes the prompts (`encode(texts, max_len)`).
    classnames: one name per class, in class-index order.
    templates: prompt templates with one `{}` each (e.g. `load_templates()`).
    max_len: text length (the text tower's trained sequence length; longer prompts are truncated).
    batch_size: prompts per `embed_texts` call.
  """
  _check_templates(templates)
  if not classnames:
    raise ValueError('No class names given.')
  if batch_size < 1:
    raise ValueError(f'batch_size must be positive, got {batch_size}.')
  num_classes = len(classnames)
  prompts = [t.replace('{}', name) for t in templates for name in classnames]
  tokens = tokenizer.encode(prompts, max_len)
  class_of_prompt = np.tile(np.arange(num_classes), len(templates))
  sums = None
  for start in range(0, len(prompts), batch_size):
    chunk = tokens[start : start + batch_size]
    n = len(chunk)
    if n < batch_size:
      chunk = np.concatenate(
          [chunk, np.zeros((batch_size - n, chunk.shape[1]), chunk.dtype)]
      )
    emb = retrieval.l2_normalize(
        np.asarray(embed_texts(chunk))[:n], 'prompt embeddings'
    )
    if sums is None:
      sums = np.zeros((num_classes, emb.shape[1]), np.float64)
    np.add.at(sums, class_of_prompt[start : start + n], emb)
  return retrieval.l2_normalize(sums / len(templates), 'class embeddings')


def _subset_indices(
    class_subset: Sequence[int] | None, num_classes: int
) -> np.ndarray:
  if class_subset is None:
    return np.arange(num_classes)
  subset = np.asarray(class_subset)
  if (
      subset.ndim != 1
      or subset.size == 0
      or not np.issubdtype(subset.dtype, np.integer)
  ):
    raise ValueError(
        f'class_subset must be a non-empty 1-D sequence of class indices, got {class_subset!r}.'
    )
  if subset.min() < 0 or subset.max() >= num_classes:
    raise ValueError(
        f'class_subset indices must lie in [0, {num_classes}), got range '
        f'[{subset.min()}, {subset.max()}].'
    )
  unique = np.unique(subset)
  if unique.size != subset.size:
    raise ValueError('class_subset contains duplicate class indices.')
  return unique


def _hits(
    image_emb: Any,
    class_emb: np.ndarray,
    labels: Any,
    subset: np.ndarray,
    ks: tuple[int, ...],
) -> dict[int, np.ndarray]:
  """Per-example top-k correctness for each k, predictions restricted to the (sorted) `subset`."""
  image = retrieval.l2_normalize(image_emb, 'image_emb')
  if image.shape[1] != class_emb.shape[1]:
    raise ValueError(
        f'image_emb width {image.shape[1]} != class_emb width {class_emb.shape[1]}.'
    )
  labels = np.asarray(labels)
  if labels.shape != (len(image),) or not np.issubdtype(
      labels.dtype, np.integer
  ):
    raise ValueError(
        f'labels must be integers of shape ({len(image)},), got {labels.dtype} {labels.shape}.'
    )
  position = np.searchsorted(subset, labels)
  position = np.minimum(position, subset.size - 1)
  outside = subset[position] != labels
  if outside.any():
    raise ValueError(
        f'Labels {np.unique(labels[outside])[:10].tolist()} are not in class_subset; labels must be '
        'given in the full class space and belong to the evaluated subset.'
    )
  logits = image @ class_emb[subset].T
  true = logits[np.arange(len(image)), position][:, None]
  columns = np.arange(subset.size)[None, :]
  rank = (
      (logits > true) | ((logits == true) & (columns < position[:, None]))
  ).sum(axis=1)
  return {k: rank < k for k in ks}


def _check_ks(ks: Sequence[int], num_candidates: int) -> tuple[int, ...]:
  ks = tuple(ks)
  if not ks or any(not isinstance(k, (int, np.integer)) or k < 1 for k in ks):
    raise ValueError(
        f'ks must be a non-empty sequence of positive integers, got {ks!r}.'
    )
  too_big = [k for k in ks if k > num_candidates]
  if too_big:
    raise ValueError(
        f'top-k with k={too_big} is meaningless over {num_candidates} classes; pass smaller ks, '
        'e.g. ks=(1,).'
    )
  return ks


def accuracy(
    image_emb: Any,
    class_emb: Any,
    labels: Any,
    class_subset: Sequence[int] | None = None,
    ks: Sequence[int] = (1, 5),
) -> dict[str, float]:
  """Top-k zero-shot accuracy as fractions: {'top1': ..., 'top5': ...}.

  Args:
    image_emb: [N, E] image embeddings (normalised here).
    class_emb: [K, E] class embeddings (e.g. from `class_embeddings`).
    labels: [N] integer labels in the full K-class space.
    class_subset: optional class indices (full space) the prediction is restricted to, e.g. the 200 ImageNet-A/R
      classes; every label must be in it.
    ks: the k values.
  """
  classes = retrieval.l2_normalize(class_emb, 'class_emb')
  subset = _subset_indices(class_subset, len(classes))
  ks = _check_ks(ks, subset.size)
  hits = _hits(image_emb, classes, labels, subset, ks)
  return {f'top{k}': float(np.mean(hit)) for k, hit in hits.items()}


def evaluate(
    embed_images: Callable[[Any], Any],
    batches: Iterable[Mapping[str, Any]],
    class_emb: Any,
    label_key: str = 'label',
    class_subset: Sequence[int] | None = None,
    ks: Sequence[int] = (1, 5),
) -> dict[str, float]:
  """Streams an evaluation set through `embed_images` and returns top-k accuracy and 'num_examples'.

  Each batch is a dict with 'image' (passed as is to `embed_images`, which returns [B, E]), integer labels under
  `label_key` ([B], full class space) and optionally 'mask' ([B] bool, False for padding examples the eval
  iterator added to fill the last batch; they are embedded, for static shapes, and then ignored).
  """
  classes = retrieval.l2_normalize(class_emb, 'class_emb')
  subset = _subset_indices(class_subset, len(classes))
  ks = _check_ks(ks, subset.size)
  correct = {k: 0 for k in ks}
  total = 0
  for index, batch in enumerate(batches):
    if label_key not in batch:
      raise KeyError(
          f'Batch {index} has no labels under {label_key!r}; keys are {sorted(batch)}. Set label_key.'
      )
    labels = np.asarray(batch[label_key])
    b = labels.shape[0]
    mask = np.asarray(batch.get('mask', np.ones(b, bool)), bool)
    if mask.shape != (b,):
      raise ValueError(
          f"Batch {index}: 'mask' must have shape ({b},), got {mask.shape}."
      )
    images = np.asarray(embed_images(batch['image']))
    if images.ndim != 2 or images.shape[0] != b:
      raise ValueError(
          f'Batch {index}: embed_images must return [{b}, E], got {images.shape}.'
      )
    if not mask.any():
      continue
    hits = _hits(images[mask], classes, labels[mask], subset, ks)
    for k in ks:
      correct[k] += int(hits[k].sum())
    total += int(mask.sum())
  if total == 0:
    raise ValueError(
        'The zero-shot evaluation set is empty: no batch had a valid (mask=True) example.'
    )
  metrics: dict[str, float] = {f'top{k}': correct[k] / total for k in ks}
  metrics['num_examples'] = total
  return metrics
