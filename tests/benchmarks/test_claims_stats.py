"""The claim statistics: paired t interval, holds logic, line format, docs."""

import json
import math
import re

import numpy as np
import pytest
from scipy import stats

from benchmarks.claims import __main__ as runner
from benchmarks.claims import common
from benchmarks.claims import docs

LINE = re.compile(
    r"^claim=\S+ metric=\S+ a=-?\d+\.\d{4}±\d+\.\d{4} b=-?\d+\.\d{4}±\d+\.\d{4}"
    r" effect=[+-]\d+\.\d{4} ci95=\[[+-](\d+\.\d{4}|nan),[+-](\d+\.\d{4}|nan)\]"
    r" holds=(true|false)$"
)


def test_paired_interval_matches_scipy():
  a = np.array([0.71, 0.64, 0.80, 0.77])
  b = np.array([0.60, 0.62, 0.70, 0.66])
  d = a - b
  want = stats.t.interval(0.95, len(d) - 1, loc=d.mean(), scale=stats.sem(d))
  np.testing.assert_allclose(common.paired_t_interval(d), want, rtol=1e-12)
  # Hand value: n = 3 uses t_{0.975, 2} = 4.302653.
  lo, hi = common.paired_t_interval([1.0, 2.0, 3.0])
  np.testing.assert_allclose(
      [lo, hi],
      [2 - 4.302653 / math.sqrt(3), 2 + 4.302653 / math.sqrt(3)],
      rtol=1e-6,
  )


def test_one_difference_has_no_interval_and_never_holds():
  ci = common.paired_t_interval([0.5])
  assert all(math.isnan(v) for v in ci)
  assert not common.holds(ci, higher_is_better=True)


@pytest.mark.parametrize(
    "ci,higher,expected",
    [
        ((0.01, 0.2), True, True),
        ((-0.01, 0.2), True, False),
        ((-0.3, -0.1), True, False),
        ((-0.3, -0.1), False, True),
        ((-0.3, 0.0), False, False),
        ((0.0, 0.3), True, False),
    ],
)
def test_holds_needs_the_whole_interval_on_the_papers_side(
    ci, higher, expected
):
  assert common.holds(ci, higher) is expected


def test_summary_line_format_and_values():
  claim = common.Claim("x_helps", "fid", higher_is_better=False)
  s = common.summarize(claim, [1.0, 2.0, 3.0], [2.0, 3.5, 4.0])
  assert s.effect == pytest.approx(-7 / 6)  # diffs -1, -1.5, -1
  text = common.line(s)
  assert LINE.match(text), text
  assert text.startswith("claim=x_helps metric=fid a=2.0000±1.0000 ")
  assert text.endswith("holds=true")
  with pytest.raises(ValueError, match="same non-zero count"):
    common.summarize(claim, [1.0], [1.0, 2.0])


def test_unknown_method_lists_the_implemented_ones(capsys):
  assert runner.main(["nosuch"]) == 2
  err = capsys.readouterr().err.strip().splitlines()
  assert err == ["error: unknown method 'nosuch'; implemented: reclip, akd"]


def test_docs_table_is_rendered_between_the_markers(tmp_path):
  claim = common.Claim("c", "m")
  summary = common.summarize(claim, [0.9, 0.8], [0.5, 0.6])
  rec = dict(
      common.record("m", 2, False, [], [summary], 60.0),
      environment=dict(jax="j", flax="f", python="p", commit="abc"),
  )
  path = tmp_path / "m.json"
  path.write_text(json.dumps(rec))
  page = tmp_path / "claims.md"
  page.write_text(f"intro\n{docs.BEGIN}\nstale rows\n{docs.END}\noutro\n")
  docs.write([str(path)], str(page))
  text = page.read_text()
  assert text.startswith("intro\n") and text.endswith("outro\n")
  assert "stale rows" not in text
  assert "| `c` | m | 0.8500±0.0707 | 0.5500±0.0707 | +0.3000 |" in text
