"""Extended tier: each implemented claim's `--quick` run (one seed, shorter
schedule) shows the effect in the paper's direction.

A single seed has no interval (holds=false by construction), so these check
the sign of the paired difference only; the full runs (docs/claims.md) give
the intervals. About 3-6 minutes per method on 2 CPU cores.
"""

import json
import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


@pytest.mark.extended
@pytest.mark.parametrize("method", ["reclip", "akd"])
def test_quick_claim_has_the_papers_sign(method, tmp_path):
  out = tmp_path / f"{method}.json"
  proc = subprocess.run(
      [sys.executable, "-m", "benchmarks.claims", method, "--quick",
       "--json", str(out)], cwd=REPO, capture_output=True, text=True,
      timeout=1200, check=False)
  assert proc.returncode == 0, proc.stderr[-3000:]
  lines = [l for l in proc.stdout.splitlines() if l.startswith("claim=")]
  record = json.loads(out.read_text())
  assert len(lines) == len(record["claims"]) >= 2
  for claim in record["claims"]:
    sign = 1 if claim["higher_is_better"] else -1
    assert sign * claim["effect"] > 0, claim["line"]
