"""EMA-Net (S5): shared ViT, motion module, energy-motion aggregation, head.

  F_energy = ViT(I^E)                    (B, D_e)    Fig. 2.1(a)
  F_j      = ViT(M_j), j = 1..T          (B, T, D_e) same weights
  F_motion = Motion(F_1..F_T)            (B, D_t)    Fig. 2.1(b), Eqs. 2.2-2.5
  F_em     = F_motion + g(d(F_e), w(F_e)) th(F_motion)  Fig. 2.1(c), Eq. 2.6
  logits   = Head(F_em)

Top-level parameter names: the ViT is `backbone` (or `energy_backbone` and
`mask_backbone` when `backbone.share=False`); the method puts every
`*backbone` subtree into its own optimizer role (spec: smaller LR or frozen).
"""

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import ml_collections

from jaxvision.models import transformer

MOTION_KINDS = ("transformer", "lstm", "gru", "none")
FUSIONS = ("ema", "naive", "none")
EMA_AXES = ("channel", "batch")
EMA_SCALES = ("none", "sqrt_d")
POOLS = ("cls", "mean")


class FeatureViT(nn.Module):
  """ViT with a class token; feature = MLP(z_cls) (spec S5a).

  The encoder's final LayerNorm supplies LN(z_cls); the MLP is
  Dense(width) -> GELU -> Dense(feature_dim). Parameter names follow the
  google-research/vision_transformer layout (`embedding`, `cls`,
  `pos_embedding`, `Transformer/...`) so `pretrained.py` can map npz files.
  """

  patch_size: int
  width: int
  depth: int
  num_heads: int
  mlp_dim: int
  feature_dim: int
  remat: bool = False

  @nn.compact
  def __call__(self, images: jax.Array) -> jax.Array:
    """(N, H, W, C) in [-1, 1] -> (N, feature_dim)."""
    p = self.patch_size
    if images.ndim != 4 or images.shape[1] % p or images.shape[2] % p:
      raise ValueError(
          f"FeatureViT needs (N, H, W, C) images with H, W "
          f"multiples of the patch size {p}, got {images.shape}."
      )
    x = nn.Conv(
        self.width, (p, p), strides=(p, p), padding="VALID", name="embedding"
    )(images)
    n = x.shape[0]
    x = x.reshape(n, -1, self.width)
    cls = self.param("cls", nn.initializers.zeros, (1, 1, self.width))
    x = jnp.concatenate([jnp.broadcast_to(cls, (n, 1, self.width)), x], 1)
    pos = self.param(
        "pos_embedding",
        nn.initializers.normal(0.02),
        (1, x.shape[1], self.width),
    )
    x = transformer.Encoder(
        depth=self.depth,
        num_heads=self.num_heads,
        head_dim=self.width // self.num_heads,
        mlp_dim=self.mlp_dim,
        remat=self.remat,
        name="Transformer",
    )(x + pos)
    y = nn.gelu(nn.Dense(self.width, name="feature_0")(x[:, 0]))
    return nn.Dense(self.feature_dim, name="feature_1")(y)


class MotionTransformer(nn.Module):
  """Eqs. 2.2-2.5: positional encoding, L pre-LN blocks, final norm, pool.

  NOTE: the printed Eq. 2.4 applies the MLP to f_l; it must act on f'_l, and
  the Norm of Eq. 2.5 on the last layer's output (spec pitfall 7). The shared
  encoder block is exactly that pre-LN form.
  """

  width: int
  depth: int
  num_heads: int
  mlp_dim: int
  pool: str = "cls"
  dropout: float = 0.1

  @nn.compact
  def __call__(self, feats, valid, train: bool):
    b, t, _ = feats.shape
    x = feats
    if feats.shape[-1] != self.width:
      x = nn.Dense(self.width, name="input_proj")(x)
    cls = self.param("cls", nn.initializers.zeros, (1, 1, self.width))
    x = jnp.concatenate([jnp.broadcast_to(cls, (b, 1, self.width)), x], 1)
    # NOTE: learnable, but initialised with the sinusoidal table of Vaswani
    # et al.: with ViT's N(0, 0.02) init the order signal is ~50x smaller
    # than the frame features after LayerNorm and the order-only classes of
    # the smoke task were still at chance after 400 steps.
    x = x + self.param(
        "pos_embedding", _sinusoidal_init, (1, t + 1, self.width)
    )
    x = nn.Dropout(self.dropout)(x, deterministic=not train)
    keys = jnp.concatenate([jnp.ones((b, 1), bool), valid], 1)
    x = transformer.Encoder(
        depth=self.depth,
        num_heads=self.num_heads,
        head_dim=self.width // self.num_heads,
        mlp_dim=self.mlp_dim,
        name="Transformer",
    )(x, keys)
    if self.pool == "cls":
      return x[:, 0]
    w = valid.astype(x.dtype)[..., None]
    return (x[:, 1:] * w).sum(1) / jnp.maximum(w.sum(1), 1)


def _sinusoidal_init(key, shape, dtype=jnp.float32):
  """(1, L, D) sine/cosine position table (a deterministic initialiser)."""
  del key
  _, length, dim = shape
  pos = jnp.arange(length, dtype=jnp.float32)[:, None]
  freq = jnp.exp(-jnp.log(10_000.0) * jnp.arange(0, dim, 2) / dim)
  table = jnp.zeros((length, dim), jnp.float32)
  table = table.at[:, 0::2].set(jnp.sin(pos * freq))
  table = table.at[:, 1::2].set(jnp.cos(pos * freq[: dim // 2]))
  return table[None].astype(dtype)


class RecurrentMotion(nn.Module):
  """Table 2.9 ablations: one LSTM or GRU layer; last valid hidden state."""

  width: int
  kind: str

  @nn.compact
  def __call__(self, feats, valid, train: bool):
    del train
    cell = (
        nn.OptimizedLSTMCell(self.width)
        if self.kind == "lstm"
        else nn.GRUCell(self.width)
    )
    # NOTE: seq_lengths assumes valid frames form a prefix; masked frames in
    # the middle of a clip are still read by the recurrence.
    lengths = jnp.maximum(valid.sum(-1), 1)
    carry, _ = nn.RNN(cell, return_carry=True, name="rnn")(
        feats, seq_lengths=lengths
    )
    return carry[1] if self.kind == "lstm" else carry


class EnergyMotionAggregation(nn.Module):
  """Eqs. 2.6-2.7: energy gives query and key, motion the value; residual.

  axis='channel' (default, per sample): q, k, v in R^D; G = softmax_row(q
  k^T) (D x D); F_em = f_m + G v. axis='batch' (literal reading, N = clips):
  softmax(Q K^T) is (B x B) and mixes the clips of a batch (spec pitfall 8).
  """

  width: int
  axis: str = "channel"
  scale: str = "none"

  @nn.compact
  def __call__(self, f_energy, f_motion):
    dense = lambda name: nn.Dense(self.width, use_bias=False, name=name)
    q, k = dense("query")(f_energy), dense("key")(f_energy)
    v = dense("value")(f_motion)
    if self.axis == "channel":
      logits = q[:, :, None] * k[:, None, :]
    else:
      logits = q @ k.T
    if self.scale == "sqrt_d":
      logits = logits / jnp.sqrt(jnp.asarray(self.width, logits.dtype))
    g = jax.nn.softmax(logits, axis=-1)
    if self.axis == "channel":
      return f_motion + jnp.einsum("bij,bj->bi", g, v)
    return f_motion + g @ v


class NaiveFusion(nn.Module):
  """Table 2.9 'naive' fusion: FC layers with norm, GELU, dropout."""

  width: int
  layers: int = 2
  dropout: float = 0.5

  @nn.compact
  def __call__(self, f_energy, f_motion, train: bool):
    x = jnp.concatenate([f_energy, f_motion], -1)
    for _ in range(self.layers):
      x = nn.gelu(nn.LayerNorm()(nn.Dense(self.width)(x)))
      x = nn.Dropout(self.dropout)(x, deterministic=not train)
    return x


class Head(nn.Module):
  """Two FC layers with normalisation and dropout (spec S5d)."""

  hidden: int
  num_classes: int
  dropout: float

  @nn.compact
  def __call__(self, x, train: bool):
    x = nn.gelu(nn.LayerNorm()(nn.Dense(self.hidden)(x)))
    x = nn.Dropout(self.dropout)(x, deterministic=not train)
    return nn.Dense(self.num_classes, bias_init=nn.initializers.zeros)(x)


def _to_rgb(maps: jax.Array) -> jax.Array:
  """(..., S, S) maps in [0, 1] -> (..., S, S, 3) in [-1, 1]."""
  return jnp.repeat(maps[..., None] * 2.0 - 1.0, 3, axis=-1)


class EMANet(nn.Module):
  """The whole network; `cfg` is config.model (see `check_config`)."""

  cfg: Any
  num_classes: int

  def setup(self):
    cfg = self.cfg
    vit = lambda name: FeatureViT(
        patch_size=cfg.backbone.patch_size,
        width=cfg.backbone.width,
        depth=cfg.backbone.depth,
        num_heads=cfg.backbone.num_heads,
        mlp_dim=cfg.backbone.mlp_dim,
        feature_dim=cfg.backbone.feature_dim,
        remat=cfg.backbone.remat,
        name=name,
    )
    # NOTE: one module called twice shares its parameters; two FeatureViT
    # instances would silently double them (spec pitfall 9).
    if cfg.backbone.share:
      self.backbone = vit("backbone")
    else:
      if cfg.use_energy:
        self.energy_backbone = vit("energy_backbone")
      if cfg.motion.kind != "none":
        self.mask_backbone = vit("mask_backbone")
    m = cfg.motion
    if m.kind == "transformer":
      self.motion = MotionTransformer(
          width=m.width,
          depth=m.depth,
          num_heads=m.num_heads,
          mlp_dim=m.mlp_dim,
          pool=m.pool,
          dropout=m.dropout,
      )
    elif m.kind in ("lstm", "gru"):
      self.motion = RecurrentMotion(width=m.width, kind=m.kind)
    if cfg.fusion == "ema":
      self.fuse = EnergyMotionAggregation(
          width=m.width, axis=cfg.ema.axis, scale=cfg.ema.scale
      )
    elif cfg.fusion == "naive":
      self.fuse = NaiveFusion(
          width=m.width, layers=cfg.naive.layers, dropout=cfg.naive.dropout
      )
    self.head = Head(cfg.head.hidden, self.num_classes, cfg.head.dropout)

  def _encode(self, energy, masks):
    """Backbone features of the energy images and/or the mask frames."""
    b = (energy if energy is not None else masks).shape[0]
    if self.cfg.backbone.share:
      parts = [x for x in (energy, masks) if x is not None]
      flat = jnp.concatenate(
          [_to_rgb(x.reshape(-1, *x.shape[-2:])) for x in parts]
      )
      feats = self.backbone(flat)
      n_e = b if energy is not None else 0
      f_e = feats[:n_e] if energy is not None else None
      f_m = None
      if masks is not None:
        f_m = feats[n_e:].reshape(b, masks.shape[1], -1)
      return f_e, f_m
    f_e = self.energy_backbone(_to_rgb(energy)) if energy is not None else None
    f_m = None
    if masks is not None:
      f_m = self.mask_backbone(_to_rgb(masks.reshape(-1, *masks.shape[2:])))
      f_m = f_m.reshape(b, masks.shape[1], -1)
    return f_e, f_m

  def __call__(
      self,
      energy,
      mask_seq,
      frame_valid,
      train: bool = False,
      return_features: bool = False,
  ):
    """energy (B, S, S), mask_seq (B, T, S, S) in [0, 1]; frame_valid (B, T)."""
    cfg = self.cfg
    use_motion = cfg.motion.kind != "none"
    f_e, f_j = self._encode(
        energy if cfg.use_energy else None, mask_seq if use_motion else None
    )
    f_m = self.motion(f_j, frame_valid, train) if use_motion else None
    if cfg.fusion == "ema":
      f = self.fuse(f_e, f_m)
    elif cfg.fusion == "naive":
      f = self.fuse(f_e, f_m, train)
    else:
      f = f_e if f_e is not None else f_m
    logits = self.head(f, train)
    if return_features:
      return logits, {"energy": f_e, "frames": f_j, "motion": f_m, "fused": f}
    return logits


def check_config(cfg: ml_collections.ConfigDict) -> None:
  """Clear errors for unknown or inconsistent model options."""
  for name, value, valid in (
      ("model.motion.kind", cfg.motion.kind, MOTION_KINDS),
      ("model.fusion", cfg.fusion, FUSIONS),
      ("model.ema.axis", cfg.ema.axis, EMA_AXES),
      ("model.ema.scale", cfg.ema.scale, EMA_SCALES),
      ("model.motion.pool", cfg.motion.pool, POOLS),
  ):
    transformer.check_choice(name, value, valid)
  has_motion = cfg.motion.kind != "none"
  if cfg.fusion != "none" and not (cfg.use_energy and has_motion):
    raise ValueError(
        f"model.fusion={cfg.fusion!r} needs both energy and "
        "motion features (use_energy=True, motion.kind != "
        "'none'); use fusion='none' for one-branch ablations."
    )
  if cfg.fusion == "none" and cfg.use_energy == has_motion:
    raise ValueError(
        "model.fusion='none' needs exactly one branch: energy "
        "only (motion.kind='none') or motion only "
        "(use_energy=False)."
    )
