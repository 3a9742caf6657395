"""AKD-GAN: the Lite-S student with vs without attention distillation.

Claim `akd_distillation_helps` (seed 002 Table 4.6): a lightweight student
StarGAN trained with L_akd (the teacher's Grad-CAM maps distilled into its
own) translates attributes better, and with lower FID, than the same student
trained without it.

Per seed i (data seed i: the GAN train, test and classifier faces are drawn
from generator seeds 100 i + 1, + 2, + 3):
  teacher : the smoke teacher, trained once per data seed by the engine and
            cached as `<root>/teacher_data<i>/teacher.npz`;
  a       : `configs/akd/claims.py:lite` (model seed i, with L_akd);
  b       : `configs/akd/claims.py:lite,noakd` (model seed i, without).
Metrics on the held-out test faces (never trained on):
  acc_mean : translation accuracy judged by the held-out attribute
             classifier (trained by `evaluate` on the classifier faces only);
  fid_clf  : FID-like: the Frechet distance between the classifier's
             64-d pooled features of the real test faces and of all their
             translations (no Inception weights exist here; the classifier
             is the network trained on these faces).
"""

import os
import shutil
from typing import Any

import flax
import jax
import numpy as np

from benchmarks.claims import common
from jaxvision import commands
from jaxvision import config_lib
from jaxvision import methods
from jaxvision.core import train as train_lib
from jaxvision.evaluators import fid as fid_lib
from jaxvision.methods.akd import classifier as classifier_lib
from jaxvision.methods.akd import data
from jaxvision.methods.akd import evaluate
from jaxvision.methods.akd import model as model_lib

CLAIMS = (
    common.Claim("akd_distillation_helps", "acc_mean"),
    common.Claim("akd_distillation_helps", "fid_clf", higher_is_better=False),
)
ARMS = {"a": "lite", "b": "lite,noakd"}
QUICK_STUDENT_STEPS = 80


def _config(arg: str, seed: int):
  config = config_lib.load_config(f"configs/akd/claims.py:{arg}", [])
  config.seed = seed
  config.data.seeds = dict(
      train=100 * seed + 1, test=100 * seed + 2, classifier=100 * seed + 3
  )
  return config


def _train(config, workdir: str) -> dict[str, float]:
  shutil.rmtree(workdir, ignore_errors=True)
  return train_lib.train(
      config, workdir, methods.get("akd"), devices=jax.devices()[:1]
  )


def _export(config, workdir: str) -> str:
  """The run's gen/disc params as an .npz (the `--export_teacher` file)."""
  path = os.path.join(workdir, "params.npz")
  commands.predict(config, workdir, ["--export_teacher", path])
  return path


def teacher(seed: int, root: str) -> str:
  """The teacher of data seed `seed`: trained once, then read from cache."""
  workdir = os.path.join(root, f"teacher_data{seed}")
  path = os.path.join(workdir, "params.npz")
  if not os.path.isfile(path):
    _train(_config("teacher", seed), workdir)
    _export(_config("teacher", seed), workdir)
  return path


def _gen_params(path: str) -> Any:
  with np.load(path) as archive:
    flat = {
        k.split("/", 1)[1]: archive[k]
        for k in archive.files
        if k.startswith("gen/")
    }
  return flax.traverse_util.unflatten_dict(flat, sep="/")


def _feature_fn(clf: classifier_lib.Classifier):
  """The classifier's pooled last-layer features: the same net with the
  head replaced by the identity (its output is then the pooled input)."""
  width = clf.widths[-1]
  net = classifier_lib.AttributeNet(width, clf.widths)
  params = dict(
      clf.params,
      head=dict(
          kernel=np.eye(width, dtype=np.float32),
          bias=np.zeros(width, np.float32),
      ),
  )
  return jax.jit(lambda x: net.apply({"params": params}, x))


def fid_clf(config, gen_params: Any) -> float:
  """Frechet distance of real test faces vs their translations (all
  attributes, the evaluation's flip targets) in classifier feature space."""
  attrs = list(config.data.attrs)
  gen, _ = model_lib.build(config.model, config.data.image_size, len(attrs))
  translate = jax.jit(lambda x, c: gen.apply({"params": gen_params}, x, c))
  features = _feature_fn(evaluate.attribute_classifier(config))
  real, fake = [], []
  for x, c_org in data.eval_batches(
      config.data, "test", config.eval.batch_size
  ):
    real.append(np.asarray(features(x)))
    for k in range(len(attrs)):
      c = data.flip_targets(c_org, attrs, k, config.eval.protocol)
      fake.append(np.asarray(features(translate(x, c.astype(np.float32)))))
  return fid_lib.fid_from_features(np.concatenate(real), np.concatenate(fake))


def run_seed(seed: int, quick: bool, root: str) -> dict[str, Any]:
  """Teacher (cached) and both students of seed `seed`; held-out metrics."""
  teacher_path = teacher(seed, root)
  out = dict(seed=seed, teacher=teacher_path)
  for arm, arg in ARMS.items():
    config = _config(arg, seed)
    if config.akd.enabled:
      config.akd.teacher_ckpt = teacher_path
    if quick:
      config.stages[0].steps = QUICK_STUDENT_STEPS
    workdir = os.path.join(root, f"seed{seed}", arm)
    results = _train(config, workdir)
    out[arm] = dict(
        acc_mean=results["acc_mean"],
        fid_clf=fid_clf(config, _gen_params(_export(config, workdir))),
        **{
            k: v
            for k, v in results.items()
            if k.startswith(("acc/", "oracle_acc"))
        },
    )
  return out
