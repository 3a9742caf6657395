"""Vision Transformer image tower with a learned 2-D positional table and GAP.

Used as RECLIP's image encoder (ViT-L/16, no class token, global average
pooling after the final LayerNorm). Two RECLIP-specific features live here:

* The learned positional table ``pos_embedding`` has an explicit grid
  ``posemb_grid = (gh, gw)``. At RECLIP's low-res -> high-res switch the method
  calls `resize_posemb` to build a *new, larger* parameter (spec section 3.4);
  ``posemb_mode='interpolate_on_the_fly'`` instead keeps the small table and
  resizes it at run time (the paper's ablation).
* ``keep_indices`` implements FLIP-style token masking (spec section 3.5):
  tokens are gathered after adding positional embeddings and pooling averages
  the kept tokens only.

Parameter names: ``embedding/{kernel,bias}`` (patch conv, kernel
``(p, p, 3, width)``), ``pos_embedding`` ``(gh, gw, width)``, and the
``Transformer/...`` encoder (see `jaxvision.models.transformer`).
"""

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxvision.models import transformer

POSEMB_MODES = ('fixed', 'interpolate_on_the_fly')
POOL_TYPES = ('gap', 'none')
RESIZE_METHODS = ('linear', 'cubic')

# Standard ViT sizes (Dosovitskiy et al. / big_vision). Keys match the keyword
# arguments of `ViT` and of `jaxvision.models.flops.vit_macs`.
VIT_VARIANTS: dict[str, dict[str, int]] = {
    'Ti/16': dict(patch_size=16, width=192, depth=12, num_heads=3, mlp_dim=768),
    'S/16': dict(patch_size=16, width=384, depth=12, num_heads=6, mlp_dim=1536),
    'B/32': dict(
        patch_size=32, width=768, depth=12, num_heads=12, mlp_dim=3072
    ),
    'B/16': dict(
        patch_size=16, width=768, depth=12, num_heads=12, mlp_dim=3072
    ),
    'L/16': dict(
        patch_size=16, width=1024, depth=24, num_heads=16, mlp_dim=4096
    ),
    'L/14': dict(
        patch_size=14, width=1024, depth=24, num_heads=16, mlp_dim=4096
    ),
    'H/14': dict(
        patch_size=14, width=1280, depth=32, num_heads=16, mlp_dim=5120
    ),
}


def variant(name: str) -> dict[str, int]:
  """Returns a copy of the `VIT_VARIANTS` entry ``name`` (e.g. ``'L/16'``)."""
  transformer.check_choice('ViT variant', name, VIT_VARIANTS)
  return dict(VIT_VARIANTS[name])


def patch_grid(image_hw: tuple[int, int], patch_size: int) -> tuple[int, int]:
  """Returns the ``(gh, gw)`` patch grid of an image; sides must divide."""
  h, w = image_hw
  if h % patch_size or w % patch_size:
    raise ValueError(
        f'Image size {h}x{w} is not divisible by patch size {patch_size}; '
        f'resize or crop the image to a multiple of {patch_size}.'
    )
  return h // patch_size, w // patch_size


def resize_posemb(
    table: jax.Array, new_grid: tuple[int, int], method: str = 'linear'
) -> jax.Array:
  """Resizes a 2-D positional table ``[gh, gw, D] -> [Gh, Gw, D]``.

  Interpolates over the spatial grid (never as a flat 1-D sequence; spec
  pitfall 1) with ``jax.image.resize``, whose 'linear'/'cubic' kernels use
  half-pixel centres (``align_corners=False``); samples beyond the border are
  clamped to the edge. Down-sizing is antialiased. Used by RECLIP to initialise
  the larger high-resolution parameter, and at run time by
  ``posemb_mode='interpolate_on_the_fly'``.

  Args:
    table: ``[gh, gw, D]`` positional embeddings.
    new_grid: target ``(Gh, Gw)``.
    method: 'linear' (bilinear) or 'cubic' (bicubic, Keys a=-0.5).

  Returns:
    ``[Gh, Gw, D]`` table in the dtype of ``table``.
  """
  transformer.check_choice('posemb resize method', method, RESIZE_METHODS)
  if table.ndim != 3:
    raise ValueError(
        f'resize_posemb expects a [gh, gw, D] table, got shape {table.shape}; '
        'reshape a flat [N, D] table to its 2-D grid first.'
    )
  new_grid = tuple(int(g) for g in new_grid)
  if len(new_grid) != 2 or min(new_grid) <= 0:
    raise ValueError(
        f'new_grid must be two positive ints (Gh, Gw), got {new_grid}.'
    )
  if new_grid == tuple(table.shape[:2]):
    return table
  resized = jax.image.resize(
      table.astype(jnp.float32), (*new_grid, table.shape[2]), method=method
  )
  return resized.astype(table.dtype)


class ViT(nn.Module):
  """ViT image encoder returning pooled features ``[B, width]``.

  Attributes:
    width: residual width.
    depth: number of transformer blocks.
    num_heads: attention heads.
    mlp_dim: MLP hidden width.
    posemb_grid: ``(gh, gw)`` grid of the learned ``pos_embedding`` table.
    patch_size: square patch side in pixels.
    head_dim: per-head dimension; None means ``width // num_heads``.
    posemb_mode: 'fixed' (the image patch grid must equal ``posemb_grid``) or
      'interpolate_on_the_fly' (resize the table to the image grid each call).
    posemb_resize_method: kernel for on-the-fly resizing, 'linear' or 'cubic'.
    pool: 'gap' (mean over tokens after the final LN) or 'none' (return the
      ``[B, N, width]`` tokens, e.g. for dense downstream heads).
    dtype: computation dtype (e.g. ``jnp.bfloat16``); None = float32.
    param_dtype: parameter storage dtype.
    remat: rematerialisation policy of each block (`remat.POLICIES`; True =
      "full").
    scan: `nn.scan` over the blocks (see `transformer.Encoder`).
    attention: attention implementation (`fused_attention.IMPLEMENTATIONS`).
  """

  width: int
  depth: int
  num_heads: int
  mlp_dim: int
  posemb_grid: tuple[int, int]
  patch_size: int = 16
  head_dim: int | None = None
  posemb_mode: str = 'fixed'
  posemb_resize_method: str = 'linear'
  pool: str = 'gap'
  dtype: Any = None
  param_dtype: Any = jnp.float32
  remat: bool | str = False
  scan: bool = False
  attention: str = 'flax'

  def _check_config(self):
    """Validates the string options and the table grid with clear errors."""
    transformer.check_choice('posemb_mode', self.posemb_mode, POSEMB_MODES)
    transformer.check_choice('ViT pool', self.pool, POOL_TYPES)
    transformer.check_choice(
        'posemb resize method', self.posemb_resize_method, RESIZE_METHODS
    )
    if len(self.posemb_grid) != 2 or min(self.posemb_grid) <= 0:
      raise ValueError(
          f'posemb_grid must be two positive ints (gh, gw), got '
          f'{self.posemb_grid}.'
      )

  def _posemb(self, grid: tuple[int, int]) -> jax.Array:
    """Returns positional embeddings ``[gh*gw, width]`` for an image grid."""
    table = self.param(
        'pos_embedding',
        nn.initializers.normal(stddev=0.02),
        (*self.posemb_grid, self.width),
        self.param_dtype,
    )
    if grid != tuple(self.posemb_grid):
      if self.posemb_mode == 'fixed':
        raise ValueError(
            f'Image patch grid {grid} does not match the positional table '
            f'grid {tuple(self.posemb_grid)} (posemb_mode="fixed"). Either '
            f'feed images of {self.posemb_grid[0] * self.patch_size}x'
            f'{self.posemb_grid[1] * self.patch_size} px, build a new table '
            'with vit.resize_posemb and set posemb_grid accordingly, or use '
            'posemb_mode="interpolate_on_the_fly".'
        )
      table = resize_posemb(table, grid, self.posemb_resize_method)
    return table.reshape(grid[0] * grid[1], self.width)

  @nn.compact
  def __call__(
      self, images: jax.Array, *, keep_indices: jax.Array | None = None
  ) -> jax.Array:
    """Encodes images.

    Args:
      images: ``[B, H, W, C]`` with H, W multiples of ``patch_size``.
      keep_indices: optional ``[B, K]`` integer token indices (row-major over
        the patch grid) to keep, FLIP-style; the rest are dropped after
        adding positional embeddings and before the transformer.

    Returns:
      ``[B, width]`` pooled features (``pool='gap'``), or ``[B, N, width]``
      tokens (``pool='none'``; N = K when masking).
    """
    self._check_config()
    if images.ndim != 4:
      raise ValueError(
          f'ViT expects images [batch, height, width, channels], got shape '
          f'{images.shape}.'
      )
    grid = patch_grid(images.shape[1:3], self.patch_size)
    head_dim = transformer.resolve_head_dim(
        self.width, self.num_heads, self.head_dim
    )

    x = nn.Conv(
        self.width,
        (self.patch_size, self.patch_size),
        strides=(self.patch_size, self.patch_size),
        padding='VALID',
        dtype=self.dtype,
        param_dtype=self.param_dtype,
        name='embedding',
    )(images)
    batch = x.shape[0]
    x = x.reshape(batch, grid[0] * grid[1], self.width)
    x = x + self._posemb(grid).astype(x.dtype)[None]

    if keep_indices is not None:
      num_tokens = grid[0] * grid[1]
      if (
          keep_indices.ndim != 2
          or keep_indices.shape[0] != batch
          or not jnp.issubdtype(keep_indices.dtype, jnp.integer)
      ):
        raise ValueError(
            f'keep_indices must be an integer [batch={batch}, K] array, got '
            f'shape {keep_indices.shape} dtype {keep_indices.dtype}.'
        )
      if not 0 < keep_indices.shape[1] <= num_tokens:
        raise ValueError(
            f'keep_indices keeps {keep_indices.shape[1]} tokens; must be in '
            f'[1, {num_tokens}] for a {grid[0]}x{grid[1]} patch grid.'
        )
      # NOTE: out-of-range indices cannot be checked under jit; mode='fill'
      # turns them into NaN features instead of silently clamping to a wrong
      # token.
      x = jnp.take_along_axis(x, keep_indices[:, :, None], axis=1, mode='fill')

    x = transformer.Encoder(
        depth=self.depth,
        num_heads=self.num_heads,
        head_dim=head_dim,
        mlp_dim=self.mlp_dim,
        dtype=self.dtype,
        param_dtype=self.param_dtype,
        remat=self.remat,
        scan=self.scan,
        attention=self.attention,
        name='Transformer',
    )(x)
    if self.pool == 'none':
      return x
    return jnp.mean(x, axis=1)
