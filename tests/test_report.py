"""`report --workdir`: a self-contained page that a browser shows with plots.

The browser check renders the page in headless Chromium (the Debian package
`make test` installs) twice: as written, and with every inlined plot replaced
by a white PNG of the same size. The plots are shown when the two screenshots
differ over a real part of the page; a broken data URI, a blank figure or CSS
that hides the images gives (almost) identical screenshots.
"""

import base64
import io
import json
import os
import re
import shutil
import subprocess

import numpy as np
from PIL import Image
import pytest

from jaxvision import main
from jaxvision import report

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--window-size=1200,1800",
)


def _make_run(workdir):
  """A workdir as a two-stage run leaves it (metrics, config, a figure)."""
  workdir.mkdir(exist_ok=True)
  rows = []
  for step in range(1, 41):
    rows.append(
        {
            "step": step,
            "loss": 5.0 / step,
            "temperature": 0.07,
            "flops_per_step": 3e9,
        }
    )
    if step % 10 == 0:
      rows.append(
          {
              "step": step,
              "eval/zeroshot_top1": 0.2 + step / 100,
              "eval/chance_top1": 0.25,
          }
      )
  lines = [json.dumps(r) for r in rows] + ['{"step": 41, "lo']  # torn by a kill
  (workdir / "metrics.jsonl").write_text("\n".join(lines))
  (workdir / "config.json").write_text(
      json.dumps(
          {
              "stages": [
                  {"name": "lowres", "steps": 30},
                  {"name": "highres", "steps": 10},
              ]
          }
      )
  )
  (workdir / "command.txt").write_text("python -m jaxvision.main train ...")
  (workdir / "versions.json").write_text(json.dumps({"jax": "0.10.2"}))
  figure = np.zeros((32, 48, 3), np.uint8)
  figure[:, :24, 0] = 255
  (workdir / "predict").mkdir()
  Image.fromarray(figure).save(workdir / "predict" / "confusion.png")
  (workdir / "checkpoints").mkdir()
  Image.fromarray(figure).save(workdir / "checkpoints" / "not_a_figure.png")
  return workdir


def test_page_is_self_contained_with_curves_tables_and_figures(tmp_path):
  page = report.render(_make_run(tmp_path / "run"))
  uris = re.findall(r'src="(data:image/png;base64,[^"]+)"', page)
  # Training and evaluation panels plus the one figure outside checkpoints/.
  assert len(uris) == 3
  assert "predict/confusion.png" in page and "not_a_figure" not in page
  assert not re.search(r'(src|href)="(?!data:)', page)  # nothing fetched
  assert "zeroshot_top1" in page and "0.6" in page  # last eval value
  assert "python -m jaxvision.main train" in page and "0.10.2" in page
  for uri in uris:  # every inlined image decodes
    Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))).load()


def test_constant_and_bookkeeping_scalars_are_not_plotted():
  curves = report.series(
      [{"step": 1, "a": 1.0, "c": 2.0}, {"step": 2, "a": 0.5, "c": 2.0}]
  )
  assert set(report.varying(curves)) == {"a"}
  assert report.stage_ends({"stages": [{"steps": 30}, {"steps": 10}]}) == [30]


def test_cli_writes_report_and_reports_missing_metrics(tmp_path, capsys):
  workdir = _make_run(tmp_path / "run")
  assert main.main(["report", "--workdir", str(workdir)]) == 0
  assert capsys.readouterr().out.strip() == (
      f"report={workdir / report.REPORT_NAME}"
  )
  assert (workdir / report.REPORT_NAME).stat().st_size > 10_000
  (tmp_path / "empty").mkdir()
  assert main.main(["report", "--workdir", str(tmp_path / "empty")]) == 2
  err = capsys.readouterr().err.strip().splitlines()
  assert len(err) == 1 and err[0].startswith("error: no metrics.jsonl")


def _chromium() -> str:
  path = shutil.which("chromium") or shutil.which("chromium-browser")
  if path is None:
    if os.environ.get("JAXVISION_NO_BROWSER"):
      pytest.skip("JAXVISION_NO_BROWSER is set")
    pytest.fail(
        "headless Chromium is needed to check report.html: "
        "`apt-get install chromium` (make test installs it)"
    )
  return path


def _screenshot(chromium, page_path, tmp_path, name) -> np.ndarray:
  png = tmp_path / f"{name}.png"
  subprocess.run(
      [
          chromium,
          *CHROMIUM_FLAGS,
          f"--user-data-dir={tmp_path / 'profile'}",
          f"--screenshot={png}",
          f"file://{page_path}",
      ],
      check=True,
      capture_output=True,
      timeout=120,
  )
  return np.asarray(Image.open(png).convert("L"), np.float32)


def _white_like(uri: str) -> str:
  image = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
  buffer = io.BytesIO()
  Image.new("RGB", image.size, "white").save(buffer, format="png")
  return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode(
      "ascii"
  )


def test_chromium_shows_the_plots(tmp_path):
  chromium = _chromium()
  page_path = report.write(_make_run(tmp_path / "run"))
  page = open(page_path).read()
  blanked = page
  for uri in re.findall(r'src="(data:image/png;base64,[^"]+)"', page)[:2]:
    blanked = blanked.replace(uri, _white_like(uri))
  blank_path = tmp_path / "blank.html"
  blank_path.write_text(blanked)
  shown = _screenshot(chromium, page_path, tmp_path, "shown")
  white = _screenshot(chromium, blank_path, tmp_path, "white")
  assert shown.shape == white.shape
  changed = np.abs(shown - white) > 32
  rows = np.nonzero(changed.any(axis=1))[0]
  columns = np.nonzero(changed.any(axis=0))[0]
  assert rows.size and columns.size, "the page shows no plot at all"
  # Both panels (training, evaluation) side by side: hundreds of pixels of
  # axes, ticks, labels and curves, not a stray line.
  assert rows.max() - rows.min() > 120 and columns.max() - columns.min() > 500
  box = changed[rows.min() : rows.max() + 1, columns.min() : columns.max() + 1]
  assert box.mean() > 0.02, box.mean()
