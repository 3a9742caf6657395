"""Metric files go through etils.epath: a gs:// workdir is not a local `gs:`."""

import json
import os

from etils.epath import testing as epath_testing

from jaxvision.core import metrics


class _FakeTensorBoard(metrics.Writer):
  logdirs = []

  def __init__(self, logdir):
    self.logdirs.append(logdir)

  def write_scalars(self, step, scalars):
    pass


def test_local_workdir_gets_jsonl_and_events(tmp_path):
  writer = metrics.make_writer(str(tmp_path / "run"))
  writer.write_scalars(3, {"loss": 0.5})
  writer.close()
  rows = (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
  assert json.loads(rows[0]) == {"step": 3, "loss": 0.5}
  assert list((tmp_path / "run").glob("events.out.tfevents.*"))


def test_gs_workdir_goes_through_epath(tmp_path, monkeypatch):
  monkeypatch.chdir(tmp_path)
  bucket = tmp_path / "fake-gcs"

  def redirected(fn, path, *args, **kwargs):
    path = os.fspath(path)
    if path.startswith("gs://"):
      path = str(bucket / path[len("gs://") :])
    return fn(path, *args, **kwargs)

  monkeypatch.setattr(metrics, "TensorBoardWriter", _FakeTensorBoard)
  with epath_testing.mock_epath(
      open=redirected,
      mkdir=redirected,
      makedirs=redirected,
      exists=redirected,
      isdir=redirected,
  ):
    writer = metrics.make_writer("gs://bucket/run")
    writer.write_scalars(1, {"loss": 2.0})
    writer.close()
  assert not (tmp_path / "gs:").exists()
  assert _FakeTensorBoard.logdirs == ["gs://bucket/run"]
  rows = (bucket / "bucket" / "run" / "metrics.jsonl").read_text()
  assert json.loads(rows) == {"step": 1, "loss": 2.0}
