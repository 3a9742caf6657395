r"""RECLIP claim proxy: low-res main phase + high-res finetune vs high-res only.

The two arms of `benchmarks/claims/reclip.py` (claim
`reclip_low_res_at_equal_compute`, seed 002 Table 3.1's logic), on the
`shapes_captions` task and model of `configs/reclip/smoke.py`:

  arm=reclip   : 16 px main phase (16 patch tokens), then the position table
                 is up-sampled and the model finetunes at 32 px (64 tokens);
  arm=highres  : the whole run at 32 px (the "CLIP, our repro." baseline).

The step counts here are placeholders: the benchmark sets them so that both
arms spend the same training FLOPs, counted from the model by the engine's
`flops` machinery (docs/claims.md gives the formula). Run by hand:

  python -m jaxvision.main train --config configs/reclip/claims.py:arm=reclip \
      --workdir workdirs/claims_reclip
"""

from configs.reclip import smoke

ARMS = ("reclip", "highres")
LOW, HIGH = 16, 32


def get_config(arg=None):
  options = dict(kv.split("=", 1) for kv in (arg or "arm=reclip").split(","))
  arm = options.pop("arm", "reclip")
  if arm not in ARMS or options:
    raise ValueError(
        f"configs/reclip/claims.py takes arm=reclip|highres, got " f"{arg!r}."
    )
  config = smoke.get_config()
  low, high = (dict(stage) for stage in config.stages)
  for stage in (low, high):
    stage["batch_size"] = 128
  if arm == "highres":
    # NOTE: one stage at the high resolution with the main phase's recipe
    # (peak lr and warmup); there is no transition, so no finetune stage.
    low.update(name="highres_only", image_size=HIGH)
    config.stages = [low]
  else:
    config.stages = [low, high]
  config.log_every = 50
  config.checkpoint.every_steps = 100_000
  config.checkpoint.async_save = False
  return config
