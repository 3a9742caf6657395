"""`report --workdir W`: one self-contained `report.html` of a run.

Reads only what a run leaves in its workdir: `metrics.jsonl` (training and
evaluation scalars), `config.json`, `command.txt`, `versions.json` and the
PNG figures that evaluation and `predict` wrote (any `*.png` outside
`checkpoints/`). Curves are drawn with matplotlib (Agg, headless) and every
image is inlined as a base64 data URI, so the file can be mailed or copied
off a TPU VM and opens anywhere, with no server and no network.
"""

import base64
import html
import io
import json
import math
import os
from typing import Any, Iterable

from etils import epath
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top

from jaxvision import user_errors  # pylint: disable=g-bad-import-order

REPORT_NAME = "report.html"
EVAL_PREFIX = "eval/"
# Scalars that describe the run rather than learning; shown in the table only.
BOOKKEEPING = ("flops_per_step", "device_hours", "data/num_corrupt")
PANEL_INCHES = (3.6, 2.4)
PANEL_COLUMNS = 3


class ReportError(user_errors.InputError):
  """The workdir holds nothing a report can be made of."""


def read_metrics(workdir: epath.PathLike) -> list[dict[str, float]]:
  """The rows of `metrics.jsonl` (a torn last line, from a kill, is skipped)."""
  path = epath.Path(workdir) / "metrics.jsonl"
  if not path.exists():
    raise ReportError(
        user_errors.message(
            "no metrics.jsonl to report on",
            f"{path}",
            "pass the --workdir of a run that has logged at least one step",
        )
    )
  rows = []
  for line in path.read_text().splitlines():
    try:
      rows.append(json.loads(line))
    except json.JSONDecodeError:
      continue
  return rows


def series(rows: Iterable[dict[str, float]]) -> dict[str, list[tuple]]:
  """name -> [(step, value), ...] in file order (a resumed run may repeat)."""
  out: dict[str, list[tuple[int, float]]] = {}
  for row in rows:
    step = int(row.get("step", 0))
    for name, value in row.items():
      if name != "step" and isinstance(value, (int, float)):
        out.setdefault(name, []).append((step, float(value)))
  return out


def _png_data_uri(png: bytes) -> str:
  return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def stage_ends(config: dict[str, Any]) -> list[int]:
  """Global steps at which each stage but the last ends (from config.json)."""
  ends, total = [], 0
  for stage in config.get("stages", [])[:-1]:
    total += int(stage.get("steps", 0))
    ends.append(total)
  return ends


def varying(curves: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
  """The curves whose value changes (constants such as chance levels are in
  the tables, a flat panel tells nothing)."""
  return {k: v for k, v in curves.items() if len({p[1] for p in v}) > 1}


def plot_panels(
    curves: dict[str, list[tuple]], title: str, boundaries: Iterable[int] = ()
) -> bytes:
  """Small multiples, one panel per scalar, as PNG bytes; dashed lines mark
  where a stage ends (e.g. RECLIP's low- to high-resolution switch)."""
  names = sorted(curves)
  rows = math.ceil(len(names) / PANEL_COLUMNS)
  columns = min(PANEL_COLUMNS, len(names))
  fig, axes = plt.subplots(
      rows,
      columns,
      squeeze=False,
      figsize=(PANEL_INCHES[0] * columns, PANEL_INCHES[1] * rows + 0.4),
  )
  for ax in axes.flat[len(names) :]:
    ax.axis("off")
  for ax, name in zip(axes.flat, names):
    steps, values = zip(*curves[name])
    ax.plot(
        steps,
        values,
        marker="o" if len(steps) < 30 else None,
        markersize=3,
        linewidth=1.5,
        color="tab:blue",
    )
    for step in boundaries:
      ax.axvline(step, color="tab:gray", linestyle="--", linewidth=1)
    ax.set_title(name, fontsize=9)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3)
  fig.suptitle(title, fontsize=11)
  fig.tight_layout()
  buffer = io.BytesIO()
  fig.savefig(buffer, format="png", dpi=90)
  plt.close(fig)
  return buffer.getvalue()


def _final_table(curves: dict[str, list[tuple]]) -> str:
  cells = "".join(
      f"<tr><td>{html.escape(name)}</td><td>{points[-1][0]}</td>"
      f"<td>{points[-1][1]:.6g}</td></tr>"
      for name, points in sorted(curves.items())
  )
  return (
      "<table><tr><th>metric</th><th>step</th><th>last value</th></tr>"
      f"{cells}</table>"
  )


def _read_text(path: epath.Path) -> str | None:
  return path.read_text() if path.exists() else None


def _figures(workdir: epath.Path) -> list[tuple[str, bytes]]:
  """(relative path, PNG bytes) of the run's figures, checkpoints excluded."""
  found = []
  for root, dirs, files in os.walk(os.fspath(workdir)):
    dirs[:] = sorted(d for d in dirs if d != "checkpoints")
    for name in sorted(files):
      if name.lower().endswith(".png"):
        path = epath.Path(root) / name
        found.append(
            (
                os.path.relpath(os.fspath(path), os.fspath(workdir)),
                path.read_bytes(),
            )
        )
  return found


def _image(uri: str, alt: str) -> str:
  return f'<img src="{uri}" alt="{html.escape(alt)}">'


def render(workdir: epath.PathLike) -> str:
  """The report page of `workdir` as one HTML string."""
  workdir = epath.Path(workdir)
  curves = series(read_metrics(workdir))
  train = {
      k: v
      for k, v in curves.items()
      if not k.startswith(EVAL_PREFIX) and k not in BOOKKEEPING
  }
  evals = {
      k[len(EVAL_PREFIX) :]: v
      for k, v in curves.items()
      if k.startswith(EVAL_PREFIX)
  }
  parts = [
      f"<h1>jaxvision run report</h1><p><code>{html.escape(str(workdir))}"
      "</code></p>"
  ]
  command = _read_text(workdir / "command.txt")
  if command:
    parts.append(f"<h2>Command</h2><pre>{html.escape(command)}</pre>")
  config_text = _read_text(workdir / "config.json")
  boundaries = stage_ends(json.loads(config_text)) if config_text else []
  parts.append('<h2>Curves</h2><div class="plots">')
  for title, group in (("training", train), ("held-out evaluation", evals)):
    if varying(group):
      png = plot_panels(varying(group), title, boundaries)
      parts.append(_image(_png_data_uri(png), f"{title} curves"))
  parts.append("</div>")
  if evals:
    parts.append("<h2>Final evaluation</h2>" + _final_table(evals))
  parts.append(
      "<h2>Last training values</h2>"
      + _final_table(
          {k: v for k, v in curves.items() if not k.startswith(EVAL_PREFIX)}
      )
  )
  figures = _figures(workdir)
  if figures:
    parts.append("<h2>Figures</h2>")
    for name, png in figures:
      parts.append(
          f"<figure>{_image(_png_data_uri(png), name)}"
          f"<figcaption>{html.escape(name)}</figcaption></figure>"
      )
  for title, text in (
      ("Versions", _read_text(workdir / "versions.json")),
      ("Resolved config", config_text),
  ):
    if text:
      parts.append(f"<h2>{title}</h2><pre>{html.escape(text)}</pre>")
  style = (
      "body{font-family:sans-serif;margin:2em;max-width:1200px}"
      "img{max-width:100%}table{border-collapse:collapse}"
      "td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}"
      "pre{background:#f6f6f6;padding:8px;overflow:auto;max-height:30em}"
      "figure{display:inline-block;margin:8px}"
      "figure img{min-width:256px;image-rendering:pixelated}"
  )
  return (
      "<!DOCTYPE html><html><head><meta charset='utf-8'>"
      f"<title>jaxvision report</title><style>{style}</style></head>"
      f"<body>{''.join(parts)}</body></html>"
  )


def write(workdir: epath.PathLike, out: epath.PathLike | None = None) -> str:
  """Writes the report (default `<workdir>/report.html`); returns its path."""
  path = epath.Path(out) if out else epath.Path(workdir) / REPORT_NAME
  page = render(workdir)
  path.write_text(page)
  return os.fspath(path)


def command(workdir: str, out: str | None = None) -> int:
  """CLI: writes the report and prints `report=<path>`."""
  if not workdir or not epath.Path(workdir).is_dir():
    raise ReportError(
        user_errors.message(
            "the workdir is not a directory",
            f"report --workdir {workdir}",
            "pass the --workdir that a train run wrote",
        )
    )
  print(f"report={write(workdir, out)}")
  return 0
