"""ShapesPhrase examples: masks are the union of every matching shape."""

import numpy as np

from jaxvision.data import synthetic_phrases


def test_phrases_masks_and_determinism():
  data = synthetic_phrases.generate(64, seed=3)
  again = synthetic_phrases.generate.__wrapped__(64, seed=3)
  np.testing.assert_array_equal(data["image"], again["image"])
  assert data["image"].shape == (64, 64, 64, 3)
  assert data["mask"].shape == (64, 64, 64)
  fractions = data["mask"].reshape(64, -1).mean(1)
  assert (fractions > 0).all()  # every phrase has a match
  assert 0.02 < fractions.mean() < 0.3
  for image, mask, phrase in zip(data["image"], data["mask"], data["phrase"]):
    colour = phrase.split()[0]
    if colour in synthetic_phrases.COLOURS:
      # Every masked pixel has the phrase's colour.
      assert (
          image[mask.astype(bool)] == synthetic_phrases.COLOURS[colour]
      ).all()
  assert any(
      p.endswith("s") and p[:-1] in synthetic_phrases.SHAPES
      for p in data["phrase"]
  )
  vocab = set(synthetic_phrases.vocabulary())
  assert all(set(c.split()) <= vocab for c in data["caption"])
  other = synthetic_phrases.generate(8, seed=4)
  assert not np.array_equal(other["image"], data["image"][:8])
