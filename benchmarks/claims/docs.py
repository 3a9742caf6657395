"""Renders runs' JSON records into the claims table of docs/claims.md.

The table sits between two marker lines; everything else in the page is
written by hand and kept.
"""

import json
from typing import Sequence

PAGE = "docs/claims.md"
BEGIN, END = "<!-- claims-table:begin -->", "<!-- claims-table:end -->"


def table(records: Sequence[dict]) -> str:
  """One row per claim line, with the run's seeds, versions and commit."""
  rows = [
      "| claim | metric | a (mean±std) | b (mean±std) | effect a−b | "
      "ci95 | holds | seeds | wall | commit / jax / flax / python |",
      "|---|---|---|---|---|---|---|---|---|---|",
  ]
  for rec in records:
    env = rec["environment"]
    for c in rec["claims"]:
      fields = dict(kv.split("=", 1) for kv in c["line"].split(" "))
      rows.append(
          f"| `{c['claim']}` | {c['metric']} | {fields['a']} | {fields['b']} "
          f"| {c['effect']:+.4f} | {fields['ci95']} | **{fields['holds']}** "
          f"| {rec['seeds']}{' (quick)' if rec['quick'] else ''} "
          f"| {rec['wall_s'] / 60:.1f} min | {env['commit'][:10]} / "
          f"{env['jax']} / {env['flax']} / {env['python']} |"
      )
  return "\n".join(rows)


def write(paths: Sequence[str], page: str = PAGE) -> str:
  records = []
  for path in paths:
    with open(path) as f:
      records.append(json.load(f))
  with open(page) as f:
    text = f.read()
  if BEGIN not in text or END not in text:
    raise ValueError(f"{page} has no {BEGIN} ... {END} block to fill.")
  head, rest = text.split(BEGIN, 1)
  _, tail = rest.split(END, 1)
  with open(page, "w") as f:
    f.write(f"{head}{BEGIN}\n{table(records)}\n{END}{tail}")
  return page
