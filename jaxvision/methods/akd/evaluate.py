"""Held-out evaluation of a trained student G (Section 4.4.3).

For every test image and attribute k, G translates the image to the target
`flip_targets(c_org, k)` (RaFD: to expression k). Scored by:

* `acc/<attr>` and `acc_mean`: the fraction of translations to which the
  separately trained attribute classifier (`classifier.py`) assigns the
  target value of attribute k; `real_acc_mean` is that classifier's accuracy
  on the untranslated test images (its own quality), and
  `identity_acc_mean` is the trivial baseline "return the input unchanged".
* `oracle_acc/<attr>`, `oracle_acc_mean`: the same with the analytic oracle
  (synthetic faces only).
* `fid_overall`, `fid/<attr>`: FID of translated vs real test images with
  the Inception network of `eval.fid.inception_ckpt` (skipped when empty).

A sample grid (inputs, then one row per attribute) and attention maps of the
first test images are written to `<workdir>/akd_eval/`.
"""

import functools
import json
import os

import jax
import ml_collections
import numpy as np

from jaxvision import visualize
from jaxvision.core import inference
from jaxvision.core import method as method_lib
from jaxvision.evaluators import fid as fid_lib
from jaxvision.methods.akd import attention
from jaxvision.methods.akd import classifier as classifier_lib
from jaxvision.methods.akd import data
from jaxvision.methods.akd import faces
from jaxvision.methods.akd import model as model_lib


@functools.lru_cache(maxsize=4)
def _synthetic_classifier(
    data_cfg_json: str, steps: int, seed: int
) -> classifier_lib.Classifier:
  data_cfg = _from_json(data_cfg_json)
  images, labels = zip(*data.eval_batches(data_cfg, "classifier", 256))
  return classifier_lib.train(
      np.concatenate(images),
      np.concatenate(labels),
      list(data_cfg.attrs),
      data_cfg.label_type,
      steps=steps,
      seed=seed,
  )


def _from_json(text: str) -> ml_collections.ConfigDict:
  return ml_collections.ConfigDict(json.loads(text))


def attribute_classifier(config) -> classifier_lib.Classifier:
  """eval.classifier_ckpt if set; for synthetic faces, train one on the
  'classifier' split (its own seed: disjoint from GAN train and test)."""
  if config.eval.classifier_ckpt:
    clf = classifier_lib.load(config.eval.classifier_ckpt)
  elif config.data.name == "synthetic_faces":
    clf = _synthetic_classifier(
        config.data.to_json(), config.eval.classifier_steps, config.seed
    )
  else:
    raise FileNotFoundError(
        "eval.classifier_ckpt is empty: train an attribute classifier on the "
        "training split (Python API: jaxvision.methods.akd.classifier.train("
        "images, labels, attrs, ...).save(FILE); there is no CLI for it yet) "
        "and point eval.classifier_ckpt at FILE."
    )
  if clf.attrs != list(config.data.attrs):
    raise ValueError(
        f"The attribute classifier predicts {clf.attrs}, the "
        f"model translates {list(config.data.attrs)}."
    )
  arch = config.eval.get("classifier_arch", clf.arch)
  if config.eval.classifier_ckpt and clf.arch != arch:
    raise ValueError(
        f"eval.classifier_ckpt holds a {clf.arch!r} classifier, but "
        f"eval.classifier_arch={arch!r} (the paper scores with ResNet-50: "
        "classifier.train(..., arch='resnet50', widths=())); set "
        f"--config.eval.classifier_arch={clf.arch} to score with it anyway."
    )
  return clf


def _targets(config, c_org: np.ndarray, k: int) -> np.ndarray:
  if config.data.label_type == "single":
    return data.onehot_targets(len(c_org), c_org.shape[1], k)
  return data.flip_targets(
      c_org, list(config.data.attrs), k, config.eval.protocol
  )


def _write_pngs(config, workdir: str, gen, disc, params, x, c_org) -> None:
  attrs = list(config.data.attrs)
  n = min(len(x), config.eval.num_png)
  x, c_org = x[:n], c_org[:n]
  rows = [visualize.to_uint8(img, (-1, 1)) for img in x]
  maps = []

  # NOTE: one compiled program for all attributes; run op by op, the
  # attention VJP compiles hundreds of primitives (about 10 s on a CPU).
  @jax.jit
  def translate_and_attend(gen_params, disc_params, x, c):
    fake = gen.apply({"params": gen_params}, x, c)
    a = attention.attention_maps(
        gen, disc, gen_params, disc_params, x, c, config.akd.student_block
    )
    return fake, attention.minmax(attention.upsample(a, x.shape[1]))

  for k in range(len(attrs)):
    c = _targets(config, c_org, k)
    fake, up = jax.device_get(
        translate_and_attend(params["gen"], params["disc"], x, c)
    )
    rows += [visualize.to_uint8(img, (-1, 1)) for img in np.asarray(fake)]
    maps += [
        visualize.overlay(
            visualize.to_uint8(img, (-1, 1)), up[i, k], (255, 0, 0), 0.6
        )
        for i, img in enumerate(x)
    ]
  out = os.path.join(workdir, "akd_eval")
  visualize.save_png(
      os.path.join(out, "translations.png"), visualize.grid(rows, n)
  )
  visualize.save_png(
      os.path.join(out, "attention.png"), visualize.grid(maps, n)
  )


def evaluate(ctx: method_lib.StageContext, state) -> dict[str, float]:
  config = ctx.config
  attrs = list(config.data.attrs)
  gen, disc = model_lib.build(config.model, config.data.image_size, len(attrs))
  translate = inference.Replicated(state.params["gen"]).jit(
      lambda p, x, c: gen.apply({"params": p}, x, c)
  )
  clf = attribute_classifier(config)
  classify = inference.Replicated(clf.params).jit(clf.logits_fn())
  use_oracle = config.data.name == "synthetic_faces"
  use_fid = bool(config.eval.fid.inception_ckpt)
  if use_fid:
    inception = fid_lib.FeatureExtractor.from_file(
        config.eval.fid.inception_ckpt
    )
    real_feats, fake_feats = [], [[] for _ in attrs]

  correct = np.zeros(len(attrs))
  oracle_correct = np.zeros(len(attrs))
  identity = np.zeros(len(attrs))
  real_correct, count = 0.0, 0
  first = None
  for x, c_org in data.eval_batches(
      config.data, "test", config.eval.batch_size, config.eval.num_images
  ):
    if first is None:
      first = (x, c_org)
    count += len(x)
    real_correct += (clf.decisions(classify(x)) == c_org).mean(1).sum()
    if use_fid:
      real_feats.append(inception(x))
    for k in range(len(attrs)):
      c = _targets(config, c_org, k)
      fake = translate(x, c)
      want = c[:, k].astype(np.int32)
      correct[k] += (clf.decisions(classify(fake))[:, k] == want).sum()
      identity[k] += (c_org[:, k] == want).sum()
      if use_oracle:
        found = faces.oracle((fake + 1.0) / 2.0)[:, k]
        oracle_correct[k] += (found == want).sum()
      if use_fid:
        fake_feats[k].append(inception(fake))
  if not count:
    raise ValueError("The test split is empty.")

  results: dict[str, float] = {}
  for name, values in (("acc", correct), ("identity_acc", identity)) + (
      (("oracle_acc", oracle_correct),) if use_oracle else ()
  ):
    per_attr = values / count
    results.update({f"{name}/{a}": float(v) for a, v in zip(attrs, per_attr)})
    results[f"{name}_mean"] = float(per_attr.mean())
  results["real_acc_mean"] = float(real_correct / count)
  if use_fid:
    real = np.concatenate(real_feats)
    for a, feats in zip(attrs, fake_feats):
      results[f"fid/{a}"] = fid_lib.fid_from_features(
          real, np.concatenate(feats)
      )
    results["fid_overall"] = fid_lib.fid_from_features(
        real, np.concatenate([f for feats in fake_feats for f in feats])
    )
  if ctx.workdir and jax.process_index() == 0 and config.eval.num_png:
    _write_pngs(
        config, ctx.workdir, gen, disc, jax.device_get(state.params), *first
    )
  return results
