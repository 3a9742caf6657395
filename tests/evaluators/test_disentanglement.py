"""Kim & Mnih metric: hand-made votes, ideal and collapsed encoders."""

import numpy as np

from jaxvision.data import dsprites
from jaxvision.evaluators import disentanglement


def _grid():
  """3 factors (sizes 1, 3, 4) whose 'image' is its factor indices."""
  sizes = (1, 3, 4)
  classes = np.stack(
      np.meshgrid(*[np.arange(s) for s in sizes], indexing="ij"), -1
  ).reshape(-1, 3)
  return dsprites.FactorSampler(classes.astype(np.float64), sizes)


def test_majority_vote_by_hand():
  # dim 0 -> factor 1 (2 votes vs 1), dim 2 -> factor 2.
  train = np.array([[0, 1], [0, 1], [0, 2], [2, 2]])
  held_out = np.array([[0, 1], [2, 2], [2, 1], [0, 2]])
  train_acc, eval_acc = disentanglement.majority_accuracy(train, held_out, 3, 3)
  assert train_acc == 0.75
  assert eval_acc == 0.5


def test_ideal_encoder_scores_one_and_ignores_constant_factor():
  rng = np.random.default_rng(0)

  def encode(images):  # latent d = factor d (+ noise dim, and swapped order)
    noise = rng.normal(0, 1, (len(images), 1))
    return np.concatenate([images[:, [2, 1]], noise], 1)

  out = disentanglement.kim_mnih(
      encode,
      _grid(),
      num_train_votes=50,
      num_eval_votes=50,
      batch=20,
      num_scale_samples=200,
  )
  assert out["disentanglement"] == 1.0
  assert out["active_dims"] == 3.0


def test_collapsed_encoder_scores_zero():
  out = disentanglement.kim_mnih(
      lambda x: np.zeros((len(x), 4)),
      _grid(),
      num_train_votes=10,
      num_eval_votes=10,
      batch=5,
      num_scale_samples=20,
  )
  assert out["disentanglement"] == 0.0 and out["active_dims"] == 0.0


def test_entangled_encoder_is_near_chance():
  def encode(images):  # every dim mixes both factors equally
    mix = images[:, 1:2] / 3 + images[:, 2:3] / 4
    return np.repeat(mix, 3, 1)

  out = disentanglement.kim_mnih(
      encode,
      _grid(),
      num_train_votes=100,
      num_eval_votes=100,
      batch=20,
      num_scale_samples=200,
  )
  assert out["disentanglement"] <= 0.75
