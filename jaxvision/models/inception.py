"""Inception-v3 pool3 features for FID, on pytorch-fid's weights.

The network is a pure function of a flat dict keyed exactly like the state
dict of pytorch-fid's `FIDInceptionV3` (`pt_inception-2015-12-05-*.pth`,
the port of the TF FID graph): e.g. `Mixed_5b.branch1x1.conv.weight` (OIHW)
and `.bn.{weight,bias,running_mean,running_var}` (BatchNorm eps 1e-3, in
inference mode). Keeping torch's names and layouts means a published file is
used as it is; `width_div` shrinks every channel count for tests, through
the same code path.

FID's Inception variant: average pools in blocks A, C and E_1 exclude
padding from the mean, and Mixed_7c (E_2) pools its branch with max.
"""

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

Params = dict[str, Any]


def _conv_bn(
    p: Params,
    name: str,
    x: jax.Array,
    stride: int = 1,
    padding: tuple[int, int] = (0, 0),
) -> jax.Array:
  w = jnp.transpose(p[f"{name}.conv.weight"], (2, 3, 1, 0))  # OIHW -> HWIO
  y = jax.lax.conv_general_dilated(
      x,
      w,
      (stride, stride),
      ((padding[0],) * 2, (padding[1],) * 2),
      dimension_numbers=("NHWC", "HWIO", "NHWC"),
  )
  scale = p[f"{name}.bn.weight"] * jax.lax.rsqrt(
      p[f"{name}.bn.running_var"] + 1e-3
  )
  y = (y - p[f"{name}.bn.running_mean"]) * scale + p[f"{name}.bn.bias"]
  return jax.nn.relu(y)


def _max_pool(x: jax.Array, stride: int = 2) -> jax.Array:
  return jax.lax.reduce_window(
      x, -jnp.inf, jax.lax.max, (1, 3, 3, 1), (1, stride, stride, 1), "VALID"
  )


def _avg_pool_same(x: jax.Array) -> jax.Array:
  """3x3 stride-1 pad-1 average that excludes padding (count_include_pad
  False)."""
  pad = ((0, 0), (1, 1), (1, 1), (0, 0))
  total = jax.lax.reduce_window(
      x, 0.0, jax.lax.add, (1, 3, 3, 1), (1, 1, 1, 1), pad
  )
  ones = jnp.ones((1,) + x.shape[1:3] + (1,), x.dtype)
  count = jax.lax.reduce_window(
      ones, 0.0, jax.lax.add, (1, 3, 3, 1), (1, 1, 1, 1), pad
  )
  return total / count


def _block_a(p, n, x):
  b1 = _conv_bn(p, f"{n}.branch1x1", x)
  b5 = _conv_bn(
      p, f"{n}.branch5x5_2", _conv_bn(p, f"{n}.branch5x5_1", x), padding=(2, 2)
  )
  b3 = _conv_bn(p, f"{n}.branch3x3dbl_1", x)
  b3 = _conv_bn(p, f"{n}.branch3x3dbl_2", b3, padding=(1, 1))
  b3 = _conv_bn(p, f"{n}.branch3x3dbl_3", b3, padding=(1, 1))
  bp = _conv_bn(p, f"{n}.branch_pool", _avg_pool_same(x))
  return jnp.concatenate([b1, b5, b3, bp], -1)


def _block_b(p, n, x):
  b3 = _conv_bn(p, f"{n}.branch3x3", x, stride=2)
  bd = _conv_bn(p, f"{n}.branch3x3dbl_1", x)
  bd = _conv_bn(p, f"{n}.branch3x3dbl_2", bd, padding=(1, 1))
  bd = _conv_bn(p, f"{n}.branch3x3dbl_3", bd, stride=2)
  return jnp.concatenate([b3, bd, _max_pool(x)], -1)


def _block_c(p, n, x):
  b1 = _conv_bn(p, f"{n}.branch1x1", x)
  b7 = _conv_bn(p, f"{n}.branch7x7_1", x)
  b7 = _conv_bn(p, f"{n}.branch7x7_2", b7, padding=(0, 3))
  b7 = _conv_bn(p, f"{n}.branch7x7_3", b7, padding=(3, 0))
  bd = _conv_bn(p, f"{n}.branch7x7dbl_1", x)
  for i, pad in zip(range(2, 6), ((3, 0), (0, 3), (3, 0), (0, 3))):
    bd = _conv_bn(p, f"{n}.branch7x7dbl_{i}", bd, padding=pad)
  bp = _conv_bn(p, f"{n}.branch_pool", _avg_pool_same(x))
  return jnp.concatenate([b1, b7, bd, bp], -1)


def _block_d(p, n, x):
  b3 = _conv_bn(
      p, f"{n}.branch3x3_2", _conv_bn(p, f"{n}.branch3x3_1", x), stride=2
  )
  b7 = _conv_bn(p, f"{n}.branch7x7x3_1", x)
  b7 = _conv_bn(p, f"{n}.branch7x7x3_2", b7, padding=(0, 3))
  b7 = _conv_bn(p, f"{n}.branch7x7x3_3", b7, padding=(3, 0))
  b7 = _conv_bn(p, f"{n}.branch7x7x3_4", b7, stride=2)
  return jnp.concatenate([b3, b7, _max_pool(x)], -1)


def _block_e(p, n, x, max_pool: bool):
  b1 = _conv_bn(p, f"{n}.branch1x1", x)
  b3 = _conv_bn(p, f"{n}.branch3x3_1", x)
  b3 = jnp.concatenate(
      [
          _conv_bn(p, f"{n}.branch3x3_2a", b3, padding=(0, 1)),
          _conv_bn(p, f"{n}.branch3x3_2b", b3, padding=(1, 0)),
      ],
      -1,
  )
  bd = _conv_bn(
      p,
      f"{n}.branch3x3dbl_2",
      _conv_bn(p, f"{n}.branch3x3dbl_1", x),
      padding=(1, 1),
  )
  bd = jnp.concatenate(
      [
          _conv_bn(p, f"{n}.branch3x3dbl_3a", bd, padding=(0, 1)),
          _conv_bn(p, f"{n}.branch3x3dbl_3b", bd, padding=(1, 0)),
      ],
      -1,
  )
  pooled = (
      jax.lax.reduce_window(
          x,
          -jnp.inf,
          jax.lax.max,
          (1, 3, 3, 1),
          (1, 1, 1, 1),
          ((0, 0), (1, 1), (1, 1), (0, 0)),
      )
      if max_pool
      else _avg_pool_same(x)
  )
  bp = _conv_bn(p, f"{n}.branch_pool", pooled)
  return jnp.concatenate([b1, b3, bd, bp], -1)


def pool3(params: Params, x: jax.Array) -> jax.Array:
  """(B, 299, 299, 3) images in [-1, 1] -> (B, 2048 / width_div) features."""
  p = params
  x = _conv_bn(p, "Conv2d_1a_3x3", x, stride=2)
  x = _conv_bn(p, "Conv2d_2a_3x3", x)
  x = _max_pool(_conv_bn(p, "Conv2d_2b_3x3", x, padding=(1, 1)))
  x = _conv_bn(p, "Conv2d_3b_1x1", x)
  x = _max_pool(_conv_bn(p, "Conv2d_4a_3x3", x))
  for name in ("Mixed_5b", "Mixed_5c", "Mixed_5d"):
    x = _block_a(p, name, x)
  x = _block_b(p, "Mixed_6a", x)
  for name in ("Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e"):
    x = _block_c(p, name, x)
  x = _block_d(p, "Mixed_7a", x)
  x = _block_e(p, "Mixed_7b", x, max_pool=False)
  x = _block_e(p, "Mixed_7c", x, max_pool=True)
  return x.mean(axis=(1, 2))


def _layers(width_div: int) -> list[tuple[str, int, int, tuple[int, int]]]:
  """(name, in_ch, out_ch, kernel) of every BasicConv2d, torch order."""

  def ch(c):
    return max(1, c // width_div)

  layers = [
      ("Conv2d_1a_3x3", 3, ch(32), (3, 3)),
      ("Conv2d_2a_3x3", ch(32), ch(32), (3, 3)),
      ("Conv2d_2b_3x3", ch(32), ch(64), (3, 3)),
      ("Conv2d_3b_1x1", ch(64), ch(80), (1, 1)),
      ("Conv2d_4a_3x3", ch(80), ch(192), (3, 3)),
  ]
  c = ch(192)
  for name, pool in (("Mixed_5b", 32), ("Mixed_5c", 64), ("Mixed_5d", 64)):
    layers += [
        (f"{name}.branch1x1", c, ch(64), (1, 1)),
        (f"{name}.branch5x5_1", c, ch(48), (1, 1)),
        (f"{name}.branch5x5_2", ch(48), ch(64), (5, 5)),
        (f"{name}.branch3x3dbl_1", c, ch(64), (1, 1)),
        (f"{name}.branch3x3dbl_2", ch(64), ch(96), (3, 3)),
        (f"{name}.branch3x3dbl_3", ch(96), ch(96), (3, 3)),
        (f"{name}.branch_pool", c, ch(pool), (1, 1)),
    ]
    c = ch(64) + ch(64) + ch(96) + ch(pool)
  layers += [
      ("Mixed_6a.branch3x3", c, ch(384), (3, 3)),
      ("Mixed_6a.branch3x3dbl_1", c, ch(64), (1, 1)),
      ("Mixed_6a.branch3x3dbl_2", ch(64), ch(96), (3, 3)),
      ("Mixed_6a.branch3x3dbl_3", ch(96), ch(96), (3, 3)),
  ]
  c = ch(384) + ch(96) + c
  for name, c7 in (
      ("Mixed_6b", 128),
      ("Mixed_6c", 160),
      ("Mixed_6d", 160),
      ("Mixed_6e", 192),
  ):
    layers += [
        (f"{name}.branch1x1", c, ch(192), (1, 1)),
        (f"{name}.branch7x7_1", c, ch(c7), (1, 1)),
        (f"{name}.branch7x7_2", ch(c7), ch(c7), (1, 7)),
        (f"{name}.branch7x7_3", ch(c7), ch(192), (7, 1)),
        (f"{name}.branch7x7dbl_1", c, ch(c7), (1, 1)),
        (f"{name}.branch7x7dbl_2", ch(c7), ch(c7), (7, 1)),
        (f"{name}.branch7x7dbl_3", ch(c7), ch(c7), (1, 7)),
        (f"{name}.branch7x7dbl_4", ch(c7), ch(c7), (7, 1)),
        (f"{name}.branch7x7dbl_5", ch(c7), ch(192), (1, 7)),
        (f"{name}.branch_pool", c, ch(192), (1, 1)),
    ]
    c = 4 * ch(192)
  layers += [
      ("Mixed_7a.branch3x3_1", c, ch(192), (1, 1)),
      ("Mixed_7a.branch3x3_2", ch(192), ch(320), (3, 3)),
      ("Mixed_7a.branch7x7x3_1", c, ch(192), (1, 1)),
      ("Mixed_7a.branch7x7x3_2", ch(192), ch(192), (1, 7)),
      ("Mixed_7a.branch7x7x3_3", ch(192), ch(192), (7, 1)),
      ("Mixed_7a.branch7x7x3_4", ch(192), ch(192), (3, 3)),
  ]
  c = ch(320) + ch(192) + c
  for name in ("Mixed_7b", "Mixed_7c"):
    layers += [
        (f"{name}.branch1x1", c, ch(320), (1, 1)),
        (f"{name}.branch3x3_1", c, ch(384), (1, 1)),
        (f"{name}.branch3x3_2a", ch(384), ch(384), (1, 3)),
        (f"{name}.branch3x3_2b", ch(384), ch(384), (3, 1)),
        (f"{name}.branch3x3dbl_1", c, ch(448), (1, 1)),
        (f"{name}.branch3x3dbl_2", ch(448), ch(384), (3, 3)),
        (f"{name}.branch3x3dbl_3a", ch(384), ch(384), (1, 3)),
        (f"{name}.branch3x3dbl_3b", ch(384), ch(384), (3, 1)),
        (f"{name}.branch_pool", c, ch(192), (1, 1)),
    ]
    c = ch(320) + 4 * ch(384) + ch(192)
  return layers


def expected_shapes(width_div: int = 1) -> dict[str, tuple[int, ...]]:
  """Torch key -> shape of every tensor pool3 reads (fc is not needed)."""
  shapes = {}
  for name, cin, cout, (kh, kw) in _layers(width_div):
    shapes[f"{name}.conv.weight"] = (cout, cin, kh, kw)
    for stat in ("weight", "bias", "running_mean", "running_var"):
      shapes[f"{name}.bn.{stat}"] = (cout,)
  return shapes


def random_state_dict(width_div: int, seed: int = 0) -> dict[str, np.ndarray]:
  """A randomly initialised state dict in pytorch-fid's layout (for tests)."""
  rng = np.random.default_rng(seed)
  out = {}
  for key, shape in expected_shapes(width_div).items():
    if key.endswith("conv.weight"):
      fan_in = shape[1] * shape[2] * shape[3]
      out[key] = rng.normal(0, np.sqrt(2 / fan_in), shape).astype(np.float32)
    elif key.endswith("running_var") or key.endswith("bn.weight"):
      out[key] = rng.uniform(0.5, 1.5, shape).astype(np.float32)
    else:
      out[key] = rng.normal(0, 0.1, shape).astype(np.float32)
  return out


def check_state_dict(state: dict[str, np.ndarray], path: str) -> int:
  """Validates a loaded state dict; returns its width_div (1 = published)."""
  c1 = state.get("Conv2d_1a_3x3.conv.weight")
  if c1 is None:
    raise ValueError(
        f"{path!r} is not an Inception-v3 state dict in "
        "pytorch-fid's layout (no Conv2d_1a_3x3.conv.weight)."
    )
  width_div = max(1, 32 // int(c1.shape[0]))
  expected = expected_shapes(width_div)
  missing = sorted(set(expected) - set(state))
  wrong = [
      f"{k}: {tuple(state[k].shape)} vs {v}"
      for k, v in expected.items()
      if k in state and tuple(state[k].shape) != v
  ]
  if missing or wrong:
    raise ValueError(
        f"Inception weights {path!r} do not match the FID "
        f"Inception-v3 layout (width_div={width_div}): missing "
        f"{missing[:8]}, shape mismatches {wrong[:8]}."
    )
  return width_div
