"""Zero-shot image-text retrieval Recall@K (RECLIP spec §7.2; COCO 5K / Flickr30K 1K Karpathy test sets).

Definitions (the standard CLIP/ALIGN/CoCa protocol):
- similarity S = P Qᵀ with P, Q the L2-normalised image and text embeddings (cosine similarity);
- image-to-text (I2T): an image is a hit at K if *any* of its ground-truth captions is among its K most similar
  captions; R@K = hits / #images;
- text-to-image (T2I): a caption is a hit at K if its image is among its K most similar images;
  R@K = hits / #captions.

Values are **fractions in [0, 1]** (multiply by 100 for the tables of the dissertation). Ties in similarity are
broken towards the lower index, exactly what a stable sort (or `argmax`) does, so results are deterministic and
a collapsed model (all embeddings equal) scores near chance rather than 100%.

The similarity matrix is computed in row blocks (`block_size` queries at a time) with NumPy on the host, so the
5,000 x 25,000 COCO case never materialises more than `block_size` x 25,000 floats.
"""

from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np


def l2_normalize(x: Any, name: str) -> np.ndarray:
  """Returns float32 rows of `x` [N, E] scaled to unit L2 norm; rejects non-finite and all-zero rows.

  Args:
    x: array-like [N, E].
    name: what `x` is, for error messages (e.g. 'image_emb').
  """
  x = np.asarray(x, np.float32)
  if x.ndim != 2:
    raise ValueError(f'{name} must be 2-D [N, E], got shape {x.shape}.')
  bad = np.flatnonzero(~np.isfinite(x).all(axis=1))
  if bad.size:
    raise ValueError(
        f'{name} has non-finite values in rows {bad[:10].tolist()} (of {bad.size}); the model '
        'produced NaN/Inf embeddings.'
    )
  norms = np.linalg.norm(x, axis=1, keepdims=True)
  zero = np.flatnonzero(norms[:, 0] == 0)
  if zero.size:
    raise ValueError(
        f'{name} has all-zero rows {zero[:10].tolist()} (of {zero.size}); cosine similarity is '
        'undefined for them.'
    )
  return x / norms


def _check_ks(ks: Sequence[int]) -> tuple[int, ...]:
  ks = tuple(ks)
  if not ks or any(not isinstance(k, (int, np.integer)) or k < 1 for k in ks):
    raise ValueError(
        f'ks must be a non-empty sequence of positive integers, got {ks!r}.'
    )
  return ks


def _t2i_ranks(
    image: np.ndarray,
    text: np.ndarray,
    text_image_ids: np.ndarray,
    block_size: int,
) -> np.ndarray:
  """Position (0 = first) of each caption's ground-truth image in its similarity ranking of all images."""
  ranks = np.empty(len(text), np.int64)
  columns = np.arange(len(image))[None, :]
  for start in range(0, len(text), block_size):
    stop = min(start + block_size, len(text))
    sims = text[start:stop] @ image.T
    gt = text_image_ids[start:stop]
    true = sims[np.arange(stop - start), gt][:, None]
    ahead = (sims > true) | ((sims == true) & (columns < gt[:, None]))
    ranks[start:stop] = ahead.sum(axis=1)
  return ranks


def _i2t_ranks(
    image: np.ndarray,
    text: np.ndarray,
    text_image_ids: np.ndarray,
    block_size: int,
) -> np.ndarray:
  """Position of each image's best-ranked ground-truth caption in its ranking of all captions."""
  ranks = np.empty(len(image), np.int64)
  columns = np.arange(len(text))[None, :]
  for start in range(0, len(image), block_size):
    stop = min(start + block_size, len(image))
    sims = image[start:stop] @ text.T
    is_gt = text_image_ids[None, :] == np.arange(start, stop)[:, None]
    best = np.where(is_gt, sims, -np.inf).max(axis=1, keepdims=True)
    # NOTE: among equally similar ground-truth captions the lowest index is the best-ranked one; only
    # non-ground-truth captions ranked before it push the image's first hit down.
    best_col = np.argmax(is_gt & (sims == best), axis=1)[:, None]
    ahead = ~is_gt & ((sims > best) | ((sims == best) & (columns < best_col)))
    ranks[start:stop] = ahead.sum(axis=1)
  return ranks


def recall_at_k(
    image_emb: Any,
    text_emb: Any,
    text_image_ids: Any,
    ks: Sequence[int] = (1, 5, 10),
    block_size: int = 512,
) -> dict[str, float]:
  """Computes I2T and T2I Recall@K as fractions.

  Args:
    image_emb: [Ni, E] image embeddings (normalised here).
    text_emb: [Nt, E] caption embeddings (normalised here).
    text_image_ids: [Nt] integer index into `image_emb` of the image each caption belongs to. Every image needs
      at least one caption.
    ks: the K values; K at or above the number of candidates gives 1.0.
    block_size: query rows per similarity block (memory: block_size x max(Ni, Nt) floats).

  Returns:
    {'i2t_r1': ..., 't2i_r1': ..., 'i2t_r5': ..., ...} in [0, 1].
  """
  ks = _check_ks(ks)
  image = l2_normalize(image_emb, 'image_emb')
  text = l2_normalize(text_emb, 'text_emb')
  if image.shape[1] != text.shape[1]:
    raise ValueError(
        f'image_emb and text_emb have different widths: {image.shape} vs {text.shape}.'
    )
  ids = np.asarray(text_image_ids)
  if ids.shape != (len(text),) or not np.issubdtype(ids.dtype, np.integer):
    raise ValueError(
        f'text_image_ids must be integers of shape ({len(text)},) (one per caption), got '
        f'{ids.dtype} {ids.shape}.'
    )
  if ids.size and (ids.min() < 0 or ids.max() >= len(image)):
    raise ValueError(
        f'text_image_ids must lie in [0, {len(image)}), got range [{ids.min()}, {ids.max()}].'
    )
  orphans = np.flatnonzero(np.bincount(ids, minlength=len(image)) == 0)
  if orphans.size:
    raise ValueError(
        f'Images {orphans[:10].tolist()} (of {orphans.size}) have no caption; I2T recall is '
        'undefined for them. Drop them or fix text_image_ids.'
    )
  if block_size < 1:
    raise ValueError(f'block_size must be positive, got {block_size}.')
  i2t = _i2t_ranks(image, text, ids, block_size)
  t2i = _t2i_ranks(image, text, ids, block_size)
  metrics = {}
  for k in ks:
    metrics[f'i2t_r{k}'] = float(np.mean(i2t < k))
    metrics[f't2i_r{k}'] = float(np.mean(t2i < k))
  return metrics


def evaluate(
    embed_images: Callable[[Any], Any],
    embed_texts: Callable[[Any], Any],
    batches: Iterable[Mapping[str, Any]],
    ks: Sequence[int] = (1, 5, 10),
    block_size: int = 512,
) -> dict[str, float]:
  """Embeds an evaluation set batch by batch and returns Recall@K plus the image and caption counts.

  Each batch is a dict with
    - 'image': [B, ...] images, passed as is to `embed_images`, which returns [B, E];
    - 'tokens': [B, C, L] token ids (C captions per image) or [B, L] (one caption per image); the runner calls
      `embed_texts` on the flattened [B * C, L] array, which returns [B * C, E];
    - 'mask' (optional, default all True): [B] bool, False for padding examples that the eval iterator added to
      fill the last batch; they are embedded (static shapes for jit) and then dropped;
    - 'caption_mask' (optional, default all True): [B, C] bool, False for caption slots that only pad an image
      with fewer than C captions (COCO images have 5 to 7).
  Images are numbered in the order they arrive; captions point at their image by that number.

  The callables must return host arrays aligned with the rows they were given (e.g. a jitted apply followed by
  `np.asarray`).

  Returns:
    `recall_at_k` metrics plus 'num_images' and 'num_texts' (the counts actually evaluated).
  """
  image_embs, text_embs, text_ids = [], [], []
  num_images = 0
  for index, batch in enumerate(batches):
    tokens = np.asarray(batch['tokens'])
    if tokens.ndim == 2:
      tokens = tokens[:, None, :]
    if tokens.ndim != 3:
      raise ValueError(
          f"Batch {index}: 'tokens' must be [B, L] or [B, C, L], got shape {tokens.shape}."
      )
    b, c, _ = tokens.shape
    if np.shape(batch['image'])[0] != b:
      raise ValueError(
          f"Batch {index}: 'image' has {np.shape(batch['image'])[0]} rows but 'tokens' has {b}."
      )
    mask = np.asarray(batch.get('mask', np.ones(b, bool)), bool)
    caption_mask = np.asarray(
        batch.get('caption_mask', np.ones((b, c), bool)), bool
    )
    if mask.shape != (b,) or caption_mask.shape != (b, c):
      raise ValueError(
          f"Batch {index}: 'mask' must be [{b}] and 'caption_mask' [{b}, {c}], got "
          f'{mask.shape} and {caption_mask.shape}.'
      )
    images = np.asarray(embed_images(batch['image']))
    texts = np.asarray(embed_texts(tokens.reshape(b * c, -1)))
    if (
        images.ndim != 2
        or images.shape[0] != b
        or texts.ndim != 2
        or texts.shape[0] != b * c
    ):
      raise ValueError(
          f'Batch {index}: embed_images must return [{b}, E] and embed_texts [{b * c}, E], got '
          f'{images.shape} and {texts.shape}.'
      )
    kept = np.flatnonzero(mask)
    image_embs.append(images[kept])
    image_number = np.full(b, -1, np.int64)
    image_number[kept] = num_images + np.arange(kept.size)
    rows, cols = np.nonzero(mask[:, None] & caption_mask)
    text_embs.append(texts.reshape(b, c, -1)[rows, cols])
    text_ids.append(image_number[rows])
    num_images += kept.size
  if num_images == 0:
    raise ValueError(
        'The retrieval evaluation set is empty: no batch had a valid (mask=True) example.'
    )
  text_image_ids = np.concatenate(text_ids)
  metrics: dict[str, float] = recall_at_k(
      np.concatenate(image_embs),
      np.concatenate(text_embs),
      text_image_ids,
      ks=ks,
      block_size=block_size,
  )
  metrics['num_images'] = num_images
  metrics['num_texts'] = int(text_image_ids.size)
  return metrics
