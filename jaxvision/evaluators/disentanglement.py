"""Kim & Mnih (2018) disentanglement metric (FactorVAE metric).

Procedure (spec 7.4, details from Kim & Mnih):
  a. Encode a random subset of the data; s_d = std of each latent mean; dims
     with s_d < `prune_threshold` collapsed to the prior and are ignored.
  b. One vote: pick a factor k uniformly among factors with more than one
     value, fix it to a random value, sample `batch` images with the other
     factors random, encode them, divide by s, take the per-dim empirical
     variance; the vote is (argmin_d variance, k).
  c. A majority-vote classifier d -> k is fit on the training votes; its
     accuracy on fresh votes is the score.

The sampler is anything with `factor_sizes`, `sample(n, rng) -> (images,
factors)` and `sample_fixed(factor, value, n, rng) -> images` (e.g.
`jaxvision.data.dsprites.FactorSampler`).
"""

from typing import Any, Callable

import numpy as np

Encoder = Callable[[np.ndarray], np.ndarray]


def latent_scale(
    encode: Encoder, sampler: Any, rng: np.random.Generator, num_samples: int
) -> np.ndarray:
  """Per-dim std of the latent means over a random subset (step a)."""
  images, _ = sampler.sample(num_samples, rng)
  return np.asarray(encode(images), np.float64).std(axis=0)


def votes(
    encode: Encoder,
    sampler: Any,
    rng: np.random.Generator,
    scale: np.ndarray,
    active: np.ndarray,
    num_votes: int,
    batch: int,
    votes_per_call: int = 16,
) -> np.ndarray:
  """[num_votes, 2] int array of (argmin dim, factor) pairs (step b).

  Images of `votes_per_call` votes are encoded in one call.
  """
  factors = [k for k, size in enumerate(sampler.factor_sizes) if size > 1]
  out = np.zeros((num_votes, 2), np.int64)
  for start in range(0, num_votes, votes_per_call):
    chosen, images = [], []
    for _ in range(min(votes_per_call, num_votes - start)):
      k = factors[rng.integers(len(factors))]
      value = int(rng.integers(sampler.factor_sizes[k]))
      chosen.append(k)
      images.append(sampler.sample_fixed(k, value, batch, rng))
    z = np.asarray(encode(np.concatenate(images)), np.float64)
    z = z.reshape(len(chosen), batch, -1) / np.where(scale > 0, scale, 1.0)
    variance = np.where(active, z.var(axis=1, ddof=1), np.inf)
    out[start : start + len(chosen), 0] = np.argmin(variance, axis=1)
    out[start : start + len(chosen), 1] = chosen
  return out


def majority_accuracy(
    train_votes: np.ndarray,
    eval_votes: np.ndarray,
    num_dims: int,
    num_factors: int,
) -> tuple[float, float]:
  """(train, eval) accuracy of the majority-vote classifier (step c)."""
  counts = np.zeros((num_dims, num_factors), np.int64)
  np.add.at(counts, (train_votes[:, 0], train_votes[:, 1]), 1)
  classifier = np.argmax(counts, axis=1)

  def accuracy(v):
    return float(np.mean(classifier[v[:, 0]] == v[:, 1]))

  return accuracy(train_votes), accuracy(eval_votes)


def kim_mnih(
    encode: Encoder,
    sampler: Any,
    seed: int = 0,
    *,
    num_train_votes: int = 800,
    num_eval_votes: int = 800,
    batch: int = 100,
    num_scale_samples: int = 10_000,
    prune_threshold: float = 0.05,
) -> dict[str, float]:
  """The metric: eval accuracy of the vote classifier, plus diagnostics.

  Args:
    encode: images [N, ...] -> latent means [N, D] (numpy).
    sampler: factor sampler (see module docstring).
    seed: seed of every random draw, so scores are reproducible.
    num_train_votes, num_eval_votes: votes for fitting / scoring.
    batch: images per vote (L).
    num_scale_samples: images used for the per-dim scale.
    prune_threshold: dims with scale below this are ignored.

  Returns:
    {"disentanglement": eval accuracy, "disentanglement_train": train
    accuracy, "active_dims": number of dims kept}. With no active dim the
    score is 0 (a collapsed model).
  """
  rng = np.random.default_rng(seed)
  scale = latent_scale(encode, sampler, rng, num_scale_samples)
  active = scale >= prune_threshold
  if not active.any():
    return {
        "disentanglement": 0.0,
        "disentanglement_train": 0.0,
        "active_dims": 0.0,
    }
  train = votes(encode, sampler, rng, scale, active, num_train_votes, batch)
  held_out = votes(encode, sampler, rng, scale, active, num_eval_votes, batch)
  train_acc, eval_acc = majority_accuracy(
      train, held_out, len(scale), len(sampler.factor_sizes)
  )
  return {
      "disentanglement": eval_acc,
      "disentanglement_train": train_acc,
      "active_dims": float(active.sum()),
  }
