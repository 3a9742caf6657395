r"""The block x timestep probing study of Fig. 3.4 (spec 3.8).

Paper: the frozen SD v1.4 LDM at 384 px; one light decoder per (block
1..16, t in 100..900, 999) trained on "a small subset" of PhraseCut train
and scored by AP on "a small subset" of val. The text gives no sizes: the
spec's defaults, 5,000 train / 1,000 val phrases (seeded random records,
`data.subset`, `eval.datasets.phrasecut.subset`; 0 = the whole split), and
Adam 1e-4 for 2k steps (the text: "until convergence"). `:smoke` runs the
same study on the tiny random LDM and ShapesPhrase on CPU (all 16 blocks x 4
timesteps, 150 steps).

  python -m jaxvision.main train --config configs/ldznet/probe.py \
      --workdir workdirs/ldznet_probe --config.ldm.weights=weights/sd14 \
      --config.data.root=data/VGPhraseCut_v0 \
      --config.eval.datasets.phrasecut.root=data/VGPhraseCut_v0
  python -m jaxvision.main train --config configs/ldznet/probe.py:smoke \
      --workdir workdirs/ldznet_probe_smoke
  # -> probe_ap.csv / probe_ap.md / probe_ap.png in the workdir
"""

from configs.ldznet import ldznet
from configs.ldznet import smoke
from jaxvision import config_lib

# Spec 3.8 defaults for the text's "small subset" of PhraseCut train / val.
TRAIN_SUBSET, VAL_SUBSET = 5_000, 1_000


def get_config(arg=None):
  # NOTE: stages hold plain dicts until the config is loaded.
  if config_lib.parse_arg(arg, smoke=False).smoke:
    config = smoke.get_config("znet")
    config.probe = dict(
        blocks=tuple(range(1, 17)),
        timesteps=(100, 300, 500, 900),
        width=32,
        groups=8,
    )
    # NOTE: the probes read the random tiny LDM: the smoke's LDM pretraining
    # stages are dropped (the probe method has no pretraining stages).
    steps, lr = 150, config.stages[-1]["optim"]["net"]["lr"]
    config.eval.datasets.shapes_phrase.size = 200
  else:
    config = ldznet.get_config("znet")
    config.probe = dict(
        blocks=tuple(range(1, 17)),
        timesteps=(100, 200, 300, 400, 500, 600, 700, 800, 900, 999),
        width=256,
        groups=32,
    )
    steps, lr = 2000, 1e-4
    config.data.subset = TRAIN_SUBSET
    config.eval.datasets = dict(
        phrasecut=dict(
            kind="phrasecut", root="", split="val", subset=VAL_SUBSET
        )
    )
  stage = config.stages[-1]
  config.stages = [
      dict(
          stage,
          name="probe",
          steps=steps,
          optim=dict(
              probes=dict(stage["optim"]["net"], lr=lr), ldm=dict(name="frozen")
          ),
      )
  ]
  config.method = "ldznet_probe"
  config.ldm.enabled = True
  return config
