r"""The docs/tpu.md table from `aot --json` files.

  python -m jaxvision.tpu.table reclip64=/tmp/reclip64.json ... > table.md

Each argument is LABEL=FILE (the label names the config and arm); one row
per compiled program. Everything in the table is what XLA reported for the
deviceless compile, except `step s (est)` and `MFU (est)`: the roofline of
`jaxvision/aot.py` from the chip table of `jaxvision/tpu/chips.py`.
"""

import json
import sys

from jaxvision.tpu import hlo

SHORT = {
    "all-gather": "AG",
    "reduce-scatter": "RS",
    "all-reduce": "AR",
    "all-to-all": "A2A",
    "collective-permute": "CP",
}
HEADER = (
    "| config | slice | program | devices (mesh) | batch (per device) "
    "| peak GiB / HBM | fits | GFLOP/device | step s (est) | MFU (est) "
    "| collectives (count, GiB) | compile s | knobs |"
)


def _collectives(stats: dict) -> str:
  parts = [
      f"{SHORT[k]} {int(stats[k]['count'])}, {stats[k]['bytes'] / 2**30:.3g}"
      for k in hlo.KINDS
      if stats.get(k, {}).get("count")
  ]
  return "; ".join(parts) or "none"


def _knobs(knobs: dict) -> str:
  return ", ".join(f"{k}={v}" for k, v in knobs.items() if k != "mesh")


def rows(label: str, report: dict) -> list[str]:
  out = []
  for p in report["programs"]:
    out.append(
        f"| {label} | {report['slice']} | {p['name']} | {p['devices']} "
        f"({p['mesh']}) | {p['global_batch']} ({p['per_device_batch']}) | "
        f"{p['peak_gib']:.2f} / {p['hbm_gib']:.0f} | "
        f"{'yes' if p['fits'] else '**no**'} | {p['gflops_per_device']:.4g} | "
        f"{p['step_time_est_s']:.3g} | {p['mfu_est']:.2f} | "
        f"{_collectives(p['collectives'])} | {p['compile_s']:.0f} | "
        f"{_knobs(report.get('knobs', {}))} |"
    )
  return out


def main(argv: list[str]) -> int:
  print(HEADER)
  print("|" + "---|" * HEADER.count(" | ") + "---|")
  for arg in argv:
    label, _, path = arg.rpartition("=")
    with open(path, encoding="utf-8") as f:
      for row in rows(label, json.load(f)):
        print(row)
  return 0


if __name__ == "__main__":
  sys.exit(main(sys.argv[1:]))
