"""The data iterator's corrupt-record count reaches metrics.jsonl and stdout."""

import dataclasses

from jaxvision.core import train
from tests.core import fake_method
from tests.core import test_train


class _Skipping(fake_method.ArrayIterator):
  """Counts one skipped record every other batch, as the pipeline would."""

  @property
  def num_corrupt(self):
    return self.index // 2


def test_num_corrupt_is_logged(tmp_path, capsys):
  def make_train_data(ctx, seed):
    x, y = fake_method._dataset(8 if ctx.index == 0 else 16, 2048, seed=0)  # pylint: disable=protected-access
    return _Skipping(x, y, ctx.local_batch_size, seed)

  method = dataclasses.replace(
      fake_method.METHOD, make_train_data=make_train_data
  )
  train.train(fake_method.config(), str(tmp_path), method)
  counts = {
      r["step"]: r["data/num_corrupt"]
      for r in test_train.read_metrics(tmp_path)
      if "data/num_corrupt" in r
  }
  # NOTE: read when logging, so it includes batches prefetched ahead.
  assert 6 <= counts[12] <= 8 and 4 <= counts[20] <= 6
  assert f"data/num_corrupt={counts[12]:.4g}" in capsys.readouterr().out
