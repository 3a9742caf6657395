"""RECLIP on real-format local data: tar training, ImageNet-folder zero-shot,
Karpathy retrieval, the fail-fast input check and `predict`.

The files are tiny but in the real layouts (webdataset tars of JPEG + txt,
class folders of JPEGs, a Karpathy json with COCO file paths), rendered from
the synthetic shapes so the words are in the smoke tokenizer's vocabulary.
"""

import io
import json
import tarfile

import numpy as np
import pytest
from PIL import Image

from jaxvision import config_lib
from jaxvision import main
from jaxvision import methods
from jaxvision.core import train
from jaxvision.data import synthetic_shapes

COLOURS = synthetic_shapes.ATTRIBUTES["colour"]


def _scene(rng, colour):
  scene = synthetic_shapes.sample_scene(rng)
  return type(scene)(**{**scene.__dict__, "colour": colour})


def _jpeg(image) -> bytes:
  out = io.BytesIO()
  Image.fromarray(image).save(out, format="JPEG", quality=95)
  return out.getvalue()


def _write_files(root):
  rng = np.random.default_rng(0)
  with tarfile.open(root / "shard-000.tar", "w") as tar:
    for i in range(48):
      scene = _scene(rng, i % len(COLOURS))
      image, _ = synthetic_shapes.render(scene, rng)
      for name, payload in (
          (f"{i:04d}.jpg", _jpeg(image)),
          (f"{i:04d}.txt", synthetic_shapes.caption_full(scene).encode()),
      ):
        info = tarfile.TarInfo(name)
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
  for c, colour in enumerate(COLOURS):
    (root / "imagenet" / colour).mkdir(parents=True)
    for i in range(2):
      image, _ = synthetic_shapes.render(_scene(rng, c), rng)
      (root / "imagenet" / colour / f"{i}.JPEG").write_bytes(_jpeg(image))
  (root / "classnames.txt").write_text("\n".join(COLOURS) + "\n")
  (root / "templates.txt").write_text("a {} object\n")
  (root / "coco" / "val2014").mkdir(parents=True)
  entries = []
  for i in range(5):
    scene = _scene(rng, i % len(COLOURS))
    image, _ = synthetic_shapes.render(scene, rng)
    name = f"COCO_val2014_{i:012d}.jpg"
    (root / "coco" / "val2014" / name).write_bytes(_jpeg(image))
    captions = [
        synthetic_shapes.caption_full(scene),
        synthetic_shapes.caption(scene, rng),
    ]
    entries.append(
        {
            "filepath": "val2014",
            "filename": name,
            "split": "test",
            "sentences": [{"raw": c} for c in captions],
        }
    )
  (root / "coco" / "dataset_coco.json").write_text(
      json.dumps({"images": entries})
  )


def _config(root):
  config = config_lib.load_config(
      "configs/reclip/smoke.py",
      [
          f"data.data_dir={root / 'data'}",
          "data.kind=tar",
          "data.cache=False",
          "stages.0.steps=4",
          "stages.0.batch_size=16",
          "stages.1.steps=2",
          "stages.1.batch_size=16",
          "log_every=2",
          "eval_batch_size=8",
      ],
  )
  config.data.path = str(root / "shard-*.tar")
  pp = "decode|resize({image_size}, method='area')|value_range(-1, 1)"
  config.data.pp_train = pp
  config.evals = {
      "imagenet": {
          "type": "imagenet_folder",
          "name": "imagenet",
          "path": str(root / "imagenet"),
          "pp": pp,
          "classnames": str(root / "classnames.txt"),
          "templates": str(root / "templates.txt"),
      },
      "coco": {
          "type": "karpathy",
          "dataset": "coco",
          "root": str(root / "coco"),
          "pp": pp,
          "captions_per_image": 2,
      },
  }
  return config


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
  root = tmp_path_factory.mktemp("reclip_real")
  _write_files(root)
  result = train.train(_config(root), str(root / "run"), methods.get("reclip"))
  return root, result


def test_tar_training_and_real_format_evaluations(trained):
  _, result = trained
  for key in (
      "imagenet_top1",
      "imagenet_top5",
      "coco_i2t_r1",
      "coco_t2i_r1",
      "coco_i2t_r5",
      "coco_t2i_r10",
  ):
    assert 0.0 <= result[key] <= 1.0, key
  # 6 classes x 2 images; 5 images: text->image R@5 ranks every image.
  assert result["imagenet_top1"] * 12 == pytest.approx(
      round(result["imagenet_top1"] * 12)
  )
  assert result["coco_t2i_r5"] == 1.0


def test_missing_eval_data_fails_before_training(tmp_path):
  config = _config(tmp_path)  # no files were written under tmp_path
  with pytest.raises(
      FileNotFoundError, match=r"evals\.coco: .*dataset_coco\.json' not found"
  ):
    train.train(config, str(tmp_path / "run"), methods.get("reclip"))
  del config.evals["coco"]
  with pytest.raises(
      FileNotFoundError, match="evals.imagenet.path=.* is not a directory"
  ):
    train.train(config, str(tmp_path / "run"), methods.get("reclip"))
  assert not (tmp_path / "run" / "checkpoints").exists() or not list(
      (tmp_path / "run" / "checkpoints").iterdir()
  )


def test_predict_prints_top_classes_of_image_files(trained, capsys):
  root, _ = trained
  image = root / "imagenet" / COLOURS[0] / "0.JPEG"
  code = main.run(
      [
          "predict",
          "--config",
          "configs/reclip/smoke.py",
          "--workdir",
          str(root / "run"),
          f"--config.data.data_dir={root / 'data'}",
          "--image",
          str(image),
          "--image",
          str(image),
          "--classes",
          ",".join(COLOURS),
          "--templates",
          "a {} object|a {}",
          "--top_k",
          "2",
      ]
  )
  assert code == 0
  lines = dict(
      line.split("=", 1)
      for line in capsys.readouterr().out.splitlines()
      if "=" in line
  )
  assert lines["image0"] == str(image)
  assert lines["image0_top1"] in COLOURS
  p1, p2 = float(lines["image0_p1"]), float(lines["image0_p2"])
  assert 1.0 >= p1 >= p2 > 0.0
  assert lines["image1_top1"] == lines["image0_top1"]
  assert "image0_top3" not in lines
  with pytest.raises(FileNotFoundError, match="No image file"):
    main.run(
        [
            "predict",
            "--config",
            "configs/reclip/smoke.py",
            "--workdir",
            str(root / "run"),
            f"--config.data.data_dir={root / 'data'}",
            "--image",
            str(root / "missing.png"),
            "--classes",
            "red",
        ]
    )
