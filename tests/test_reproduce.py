"""The reproduction map: every seed table has a row, every command loads.

Configs are only loaded (no jax compile), so the whole file runs in seconds
after the first config import.
"""

import os
import pathlib
import shlex
import subprocess
import sys

import pytest

from jaxvision import config_lib
from jaxvision import reproduce

ROOT = pathlib.Path(__file__).resolve().parents[1]


# Every experiment table of the two dissertations (the list, plus
# Table 4.1 of seed 002: parameter counts) and the figures that report a
# measured experiment.
EXPECTED = {
    "000": [
        "2.1",
        "2.2",
        "2.3",
        "2.4",
        "2.5",
        "2.6",
        "Fig3.1",
        "Fig3.4",
        "3.1",
        "3.2",
        "3.3",
        "3.4",
        "A.1",
        "FigA.4",
        "FigA.5",
        "FigA.6",
        "FigA.7",
        "FigA.8",
        "FigA.9",
        "FigA.10",
    ],
    "002": [
        "2.5",
        "2.6",
        "2.7",
        "2.8",
        "2.9",
        "2.10",
        "Fig2.8",
        "Fig2.9",
        "Fig2.10",
        "Fig3.2",
        "3.1",
        "3.2",
        "3.3",
        "3.4",
        "3.5",
        "3.6",
        "3.7",
        "3.8",
        "3.9",
        "3.10",
        "4.1",
        "4.2",
        "4.3",
        "4.4",
        "4.5",
        "4.6",
        "4.7",
        "4.8",
        "4.9",
        "4.10",
        "4.11",
        "4.12",
        "5.1",
        "5.2",
        "5.3",
        "5.4",
        "5.5",
        "5.6",
        "5.7",
        "5.8",
        "5.9",
        "5.10",
        "6.1",
        "6.2",
        "6.3",
        "6.4",
        "6.5",
        "7.1",
        "7.2",
        "7.3",
        "7.4",
        "7.5",
        "7.6",
        "Fig7.11",
    ],
}
KEYS = {
    "seed",
    "table",
    "title",
    "status",
    "commands",
    "needs",
    "protocol",
    "paper_numbers",
    "note",
}
ROWS = reproduce.rows()


def _row_id(row: dict) -> str:
  return f"{row['seed']}-{row['table']}"


def _config_args(command: str) -> tuple[str, list[str]]:
  """The `--config` spec and the `--config.k=v` overrides of a command."""
  tokens = shlex.split(command)
  specs = [tokens[i + 1] for i, t in enumerate(tokens) if t == "--config"]
  overrides = [t[2:] for t in tokens if t.startswith("--config.")]
  assert len(specs) == 1, f"{command!r} needs exactly one --config"
  return specs[0], overrides


def test_every_table_has_exactly_one_row_in_order():
  assert {row["seed"] for row in ROWS} == set(EXPECTED)
  for seed, tables in EXPECTED.items():
    assert [row["table"] for row in ROWS if row["seed"] == seed] == tables


@pytest.mark.parametrize("row", ROWS, ids=_row_id)
def test_row_fields(row):
  assert set(row) == KEYS
  assert row["status"] in reproduce.STATUSES
  assert row["title"] and row["protocol"]
  assert isinstance(row["commands"], list)
  assert isinstance(row["needs"], list)
  if row["status"] != "not_runnable":
    assert row["commands"], "runnable / deviation rows need a command"
  if row["status"] != "runnable":
    assert row["note"], "deviations and not_runnable rows need a note"


@pytest.mark.parametrize("row", [r for r in ROWS if r["commands"]], ids=_row_id)
def test_commands_load_with_their_overrides(row, monkeypatch):
  monkeypatch.chdir(ROOT)
  for command in row["commands"]:
    assert command.startswith("python -m "), command
    assert "  " not in command and command == command.strip(), command
    spec, overrides = _config_args(command)
    keys = [override.partition("=")[0] for override in overrides]
    assert len(keys) == len(set(keys)), f"a key set twice in {command!r}"
    config = config_lib.load_config(spec, overrides)
    assert config.method


def test_markdown_doc_is_generated_from_the_registry():
  doc = (ROOT / "docs" / "reproduce.md").read_text()
  assert doc == reproduce.render_markdown(), (
      "docs/reproduce.md is stale: run python -m jaxvision.main reproduce > "
      "docs/reproduce.md"
  )
  for row in ROWS:
    assert f"{row['seed']} {reproduce.label(row)}: {row['title']}" in doc


def test_list_prints_one_line_per_row(capsys):
  assert reproduce.command(list_only=True) == 0
  lines = capsys.readouterr().out.splitlines()
  assert len(lines) == len(ROWS)
  assert lines[0].startswith("seed=000 table=2.1 status=")
  for line, row in zip(lines, ROWS):
    assert line.startswith(
        f"seed={row['seed']} table={row['table']} "
        f"status={row['status']} command="
    )


def test_module_does_not_import_jax():
  code = (
      "import sys; from jaxvision import reproduce; reproduce.rows(); "
      "print('jax' in sys.modules)"
  )
  out = subprocess.run(
      [sys.executable, "-c", code],
      cwd=ROOT,
      check=True,
      capture_output=True,
      text=True,
      env={**os.environ, "PYTHONPATH": str(ROOT)},
  ).stdout
  assert out.strip() == "False"
