"""The smoke runs learn: NDD attention localises held-out defects (spec 12A)
and the training step of every family runs on the 8-device mesh."""

import json

import jax
import numpy as np
import pytest

from jaxvision import config_lib
from jaxvision import methods
from jaxvision.core import train


@pytest.mark.slow
def test_anomaly_smoke_localises_held_out_defects(tmp_path):
  # NOTE: one device: these tiny convs only pay sharding overhead on the
  # 8-device test mesh (test_engine.py covers 1 vs 8 devices).
  config = config_lib.load_config(
      "configs/vae_attention/smoke.py", ["log_every=10", "mesh.data=1"]
  )
  final = train.train(
      config,
      str(tmp_path / "run"),
      methods.get("vae_attention"),
      devices=jax.devices()[:1],
  )
  rows = [
      json.loads(line)
      for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
  ]
  losses = [r["loss"] for r in rows if "loss" in r]
  assert losses[-1] <= 0.5 * losses[0]
  # Held-out test images (different seed from training); chance is 0.5.
  assert final["pixel_auroc_sa"] >= 0.7
  assert final["pixel_auroc_da_fused"] >= final["pixel_auroc_sa"] - 0.02
  assert final["best_iou_sa"] > 0.0
  assert (tmp_path / "run" / "attention" / "test_maps.png").stat().st_size


def test_ad_factor_vae_steps_reduce_loss_on_eight_devices(tmp_path):
  config = config_lib.load_config(
      "configs/vae_attention/smoke_disentangle.py",
      [
          "stages.0.steps=12",
          "stages.0.batch_size=32",
          "log_every=4",
          "checkpoint.every_steps=0",
          "model.encoder.features=[8, 8, 16]",
          "model.encoder.fc=[16]",
          "model.decoder.fc=[16]",
          "model.decoder.start_shape=[4, 4, 16]",
          "model.decoder.features=[8, 8, 1]",
          "model.disc.hidden=32",
          "eval.train_votes=4",
          "eval.eval_votes=4",
          "eval.vote_batch=4",
          "eval.scale_samples=64",
          "eval.overlap_images=8",
      ],
  )
  assert jax.device_count() == 8
  final = train.train(
      config, str(tmp_path / "run"), methods.get("vae_attention")
  )
  rows = [
      json.loads(line)
      for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
  ]
  logged = [r for r in rows if "loss" in r]
  assert all(np.isfinite(r["l_ad"]) and r["l_ad"] >= 0 for r in logged)
  assert logged[-1]["loss"] < logged[0]["loss"]
  assert 0.0 <= final["attention_overlap"] <= 1.0
  assert final["recon_nll"] > 0
