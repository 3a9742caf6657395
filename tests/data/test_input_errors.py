"""Bad data inputs: one line naming the file and the fix; corrupt shards named.

A data_dir below a regular file, an unprepared TFDS dataset whose builder
needs TensorFlow, and garbled or truncated array_record shards.
"""

import shutil

import ml_collections
import pytest

from jaxvision import errors
from jaxvision import main
from jaxvision import user_errors
from jaxvision.data import pipeline
from jaxvision.data import pp
from jaxvision.data import sources
from jaxvision.data import synthetic
from jaxvision.methods.akd import data as akd_data


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
  data_dir = tmp_path_factory.mktemp("tfds")
  synthetic.build("shapes_classes", str(data_dir), num_train=64, num_test=16)
  return data_dir


def _copy_with_damaged_shard(prepared, tmp_path, damage):
  data_dir = tmp_path / "tfds"
  shutil.copytree(prepared, data_dir)
  (shard,) = (data_dir / "shapes_classes").glob(
      "*/shapes_classes-train.array_record-*"
  )
  shard.write_bytes(damage(bytearray(shard.read_bytes())))
  return data_dir, shard


def _garble(data):
  data[20000:20010] = bytes(b ^ 0xFF for b in data[20000:20010])
  return bytes(data)


def _truncate(data):
  return bytes(data[: len(data) // 2])


def _iterator(data_dir, skip_corrupt):
  source = sources.open("shapes_classes", "train", data_dir=str(data_dir))
  return pipeline.make_iterator(
      source,
      pp_fn=lambda x, rng: x,
      global_batch_size=16,
      seed=0,
      num_epochs=1,
      shuffle=False,
      skip_corrupt=skip_corrupt,
  )


def test_data_dir_below_a_file(tmp_path):
  (tmp_path / "file").write_text("")
  with pytest.raises(user_errors.MissingInputError) as raised:
    sources.open(
        "shapes_classes", "train", data_dir=str(tmp_path / "file" / "tfds")
    )
  assert str(raised.value) == (
      f"data_dir {tmp_path}/file/tfds is not a folder: {tmp_path}/file is a "
      "file (data_dir); point the config's data_dir at a folder"
  )


def test_unprepared_tfds_dataset_needing_tensorflow(tmp_path):
  # coco_captions' builder imports TensorFlow, which is not installed.
  with pytest.raises(FileNotFoundError) as raised:
    sources.open("coco_captions", "train", data_dir=str(tmp_path))
  message = str(raised.value)
  assert message.startswith(
      f"dataset 'coco_captions' is not prepared under {tmp_path} "
      f"({tmp_path}/coco_captions/<version>/dataset_info.json); prepare it "
      "with `python -m jaxvision.main prepare-data --dataset=coco_captions "
      f"--data_dir={tmp_path}`"
  )
  assert isinstance(raised.value, user_errors.InputError)


def test_garbled_shard_record_is_skipped_and_counted(prepared, tmp_path):
  data_dir, shard = _copy_with_damaged_shard(prepared, tmp_path, _garble)
  it = _iterator(data_dir, skip_corrupt=True)
  batches = list(it)
  assert it.num_corrupt == 1
  assert sum(len(b["label"]) for b in batches) == 48  # 63 left: 3 batches
  it = _iterator(data_dir, skip_corrupt=False)
  with pytest.raises(pp.CorruptRecordError, match=f"record 13 of {shard}"):
    list(it)


def test_truncated_lone_shard_stops_naming_the_file(prepared, tmp_path):
  data_dir, shard = _copy_with_damaged_shard(prepared, tmp_path, _truncate)
  source = sources.open("shapes_classes", "train", data_dir=str(data_dir))
  it = pipeline.make_iterator(
      source, pp_fn=lambda x, rng: x, global_batch_size=16, seed=0
  )
  with pytest.raises(
      pp.CorruptRecordError, match=f"64 records in a row are corrupt.*{shard}"
  ):
    next(it)


@pytest.mark.parametrize(
    "error, code",
    [
        (user_errors.UnknownNameError("unknown dataset"), 2),
        (user_errors.InvalidValueError("empty split"), 2),
        (pp.PPError("bad pp op"), 2),
        (user_errors.MissingInputError("no file"), 2),
        (FileNotFoundError("no file"), 1),
        (ValueError("a bug"), None),
        (KeyError("a bug"), None),
    ],
)
def test_exit_codes_come_from_errors_exit_code(error, code):
  # Data input errors exit 2 (one line); a bare ValueError is a bug (None:
  # the CLI re-raises it with its traceback).
  assert errors.exit_code(error) == code


def test_cli_reports_an_unknown_dataset_in_one_line(capsys, monkeypatch):
  def run(argv):
    del argv
    akd_data.open_source(
        ml_collections.ConfigDict(
            {"name": "celeba_foldr", "attrs": ["Blond_Hair"]}
        ),
        "train",
    )

  monkeypatch.setattr(main, "run", run)
  assert main.main([]) == 2
  err = capsys.readouterr().err.strip()
  assert err == (
      "error: unknown dataset 'celeba_foldr' (config.data.name); "
      "did you mean 'celeba_folder'? Known: celeb_a, "
      "celeba_folder, rafd, synthetic_faces"
  )
