"""The reproduction map: which commands reproduce which table of the theses.

The rows live in `configs/reproduce.py` (plain data next to the configs they
name). `python -m jaxvision.main reproduce --list` prints one line per row;
without `--list` it prints the Markdown of docs/reproduce.md, which is
generated from the rows:

  python -m jaxvision.main reproduce > docs/reproduce.md

Nothing here imports jax, so the command answers at once.
"""

import importlib.util
import pathlib
import types

REGISTRY = (
    pathlib.Path(__file__).resolve().parents[1] / "configs" / "reproduce.py"
)
STATUSES = ("runnable", "deviation", "not_runnable")
# `seed` of a row -> the dissertation (README.md names both in full).
SEEDS = {
    "000": "Koutilya PNVR, *Leveraging Deep Generative Models for Estimation "
    "and Recognition* (University of Maryland, College Park, 2023): "
    "SharinGAN (ch. 2), LD-ZNet (ch. 3), BiConvLSTM violence "
    "detection (app. A)",
    "002": "Runze Li, *Deep Models for Image Analysis, Synthesis and Scene "
    "Perception* (University of California, Riverside, 2023): EMA-Net "
    "(ch. 2), RECLIP (ch. 3), AKD-GAN (ch. 4), MonoIndoor++ (ch. 5), "
    "LMR (ch. 6), VAE attention (ch. 7)",
}


def _registry() -> types.ModuleType:
  # NOTE: loaded by path: `configs` is a folder of the repository, not part
  # of the installed package.
  spec = importlib.util.spec_from_file_location(
      "jaxvision_reproduce_rows", REGISTRY
  )
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module


def rows() -> list[dict]:
  """The rows of configs/reproduce.py, in their order."""
  return list(_registry().ROWS)


def label(row: dict) -> str:
  """'Table 2.1' or 'Fig. 3.4' for a row's `table` ('2.1' / 'Fig3.4')."""
  table = row["table"]
  if table.startswith("Fig"):
    return f"Fig. {table[3:]}"
  return f"Table {table}"


def list_line(row: dict) -> str:
  """`seed=... table=... status=... command=...` (the first arm's command)."""
  command = row["commands"][0] if row["commands"] else "none"
  return (
      f"seed={row['seed']} table={row['table']} status={row['status']} "
      f"command={command}"
  )


def _cell(text: str) -> str:
  return text.replace("|", "\\|").replace("\n", " ")


def _section(row: dict) -> list[str]:
  lines = [
      f"### {row['seed']} {label(row)}: {row['title']}",
      "",
      f"Status: **{row['status']}**.",
      "",
  ]
  if row["commands"]:
    lines += ["```bash", *row["commands"], "```", ""]
  else:
    lines += ["No command (see the note).", ""]
  if row["needs"]:
    lines += ["Needs:", "", *(f"- {need}" for need in row["needs"]), ""]
  lines += [f"Protocol: {row['protocol']}", ""]
  lines += [f"Paper: {row['paper_numbers'] or 'no numbers in the text.'}", ""]
  if row["note"]:
    lines += [f"Note: {row['note']}", ""]
  return lines


def render_markdown() -> str:
  """docs/reproduce.md: a summary table, then one section per row."""
  all_rows = rows()
  counts = ", ".join(
      f"{sum(row['status'] == status for row in all_rows)} {status}"
      for status in STATUSES
  )
  lines = [
      "# Reproducing the dissertations' tables",
      "",
      "Generated from `configs/reproduce.py` by `python -m jaxvision.main "
      "reproduce > docs/reproduce.md`; edit the registry, not this file "
      "(`tests/test_reproduce.py` checks that they agree and that every "
      "command's config loads with its overrides).",
      "",
      *(f"- `seed={seed}`: {who}." for seed, who in SEEDS.items()),
      "",
      "Status: **runnable** (the arms run as the paper describes), "
      "**deviation** (the arms run; the note says what differs from the "
      "paper), **not_runnable** (no arm, or no evaluator; the note says "
      "why and what a user would supply). Paths such as `/data/...`, "
      "`weights/...` and `runs/...` are placeholders for local copies; "
      "nothing is downloaded. No number of the paper has been reproduced "
      "in this project (no datasets, weights or accelerator time); the "
      "paper numbers are quoted from the dissertations. Figures have a row "
      "when they report measured numbers or curves; figures of example "
      "images do not.",
      "",
      f"Rows: {counts}.",
      "",
      "| seed | table | what | status | arms |",
      "|---|---|---|---|---|",
  ]
  for row in all_rows:
    lines.append(
        f"| {row['seed']} | {label(row)} | {_cell(row['title'])} | "
        f"{row['status']} | {len(row['commands'])} |"
    )
  lines.append("")
  for seed in SEEDS:
    lines += [f"## seed={seed}: {SEEDS[seed].split(',')[0]}", ""]
    for row in all_rows:
      if row["seed"] == seed:
        lines += _section(row)
  return "\n".join(lines).rstrip("\n") + "\n"


def command(list_only: bool) -> int:
  """`reproduce [--list]`: the one-line list, or the Markdown; exit status."""
  if list_only:
    for row in rows():
      print(list_line(row))
  else:
    print(render_markdown(), end="")
  return 0
