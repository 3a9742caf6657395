r"""Violence-detection smoke run on CPU: synthetic fights, one held-out fold.

`synthetic_fights` (spec 11): 160 procedurally generated clips of 8 frames
at 32x32 (scaled down from the spec's 80 clips x 20 frames to fit the CPU
test budget), 5 stratified folds. The Spatiotemporal Encoder is scaled down
as the spec says: `vgg_tiny` trunk (8-M-16-M-32-32, last pool dropped ->
8x8x32), BiConvLSTM with 16 hidden channels per direction fused to 32,
max over time, classifier 2048-64-32-10-2 (tanh), no BatchNorm; Adam lr
1e-3 (the paper's 1e-6 is far too small here), betas (0.5, 0.99), coupled
L2 1e-4, batch 8; RC (36 -> 32) + RHF per clip. 8 epochs of 16 steps.

Arg: comma-separated words. `spatial`: the Spatial Encoder; `reversal`: the
synthetic_fights_reversal sanity set (classes are time reversals of each
other, so the Spatial Encoder is at chance by construction).

  python -m jaxvision.main train --config configs/violence/smoke.py \
      --workdir workdirs/violence_smoke
  python -m jaxvision.methods.violence.crossval \
      --config configs/violence/smoke.py --workdir workdirs/violence_cv

Expected: held-out fold-0 accuracy about 1.0 vs chance 0.5 in ~30-60 s on
2 CPU cores (see docs/methods/violence.md for measured numbers).
"""

from configs.violence import common
from jaxvision import config_lib


def get_config(arg=None):
  opts = config_lib.parse_arg(arg, spatial=False, reversal=False)
  return common.base(
      data=dict(
          name="synthetic_fights_reversal"
          if opts.reversal
          else "synthetic_fights",
          num_clips=160,
          num_frames=8,
          frame_size=32,
          aug=dict(random_crop=True, hflip=True, resize_before_crop=36),
          synthetic_size=32,
          synthetic_seed=0,
      ),
      model=dict(
          encoder="spatial" if opts.spatial else "spatiotemporal",
          backbone="vgg_tiny",
          # NOTE: unrolling the 7 time steps makes the CPU step ~6x
          # faster than a rolled scan.
          convlstm=dict(hidden=16, features=32, unroll=8),
          classifier=dict(hidden=(64, 32, 10)),
      ),
      l2=1e-4,
      lr=1e-3,
      batch_size=8,
      num_epochs=8,
      eval_cfg=dict(window_radius=2, batch_size=32),
      allow_random_init=True,
  )  # a tiny VGG from scratch
