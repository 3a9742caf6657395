"""LMR: local recurrent models, one per body part (spec 3, Fig 6.3).

Per refinement iteration v (same weights every iteration, like HMR's
iterative error feedback):
  root RNN([φ, θ¹, β])          -> θ¹ += Δθ¹        (inferred first)
  part RNN_k([φ, θᵏ, β, θ¹])    -> θᵏ += Δθᵏ        (θ¹ = updated root)
  shape MLP([φ, θ, β_in])       -> β = β_in + Δβ
  camera RNN([φ, θ, β, c_in])   -> c = c_in + Δc
starting from the mean parameters. Every RNN runs over the clip from a zero
state each iteration. θ is kept in part order and scattered to SMPL order
only for the outputs (spec pitfall 1).
"""

from typing import Any, Sequence

import flax.linen as nn
import jax.numpy as jnp

from jaxvision.methods.lmr import parts as parts_lib
from jaxvision.models import rotations


def small_init(gain: float = 0.01):
  """Xavier-uniform with a gain (SPIN's decoders; spec pitfall 4)."""
  return nn.initializers.variance_scaling(gain**2, "fan_avg", "uniform")


class Recurrent(nn.Module):
  """Stacked (bi)GRU/LSTM over [B, T, F], batch-major, zero initial state."""

  hidden: int
  num_layers: int = 1
  cell: str = "gru"
  bidirectional: bool = False

  def _cell(self, name):
    cells = {"gru": nn.GRUCell, "lstm": nn.OptimizedLSTMCell}
    if self.cell not in cells:
      raise ValueError(
          f"rnn_cell must be one of {sorted(cells)}, got " f"{self.cell!r}."
      )
    return cells[self.cell](self.hidden, name=name)

  @nn.compact
  def __call__(self, x):
    for layer in range(self.num_layers):
      forward = nn.RNN(self._cell(f"cell{layer}"), name=f"rnn{layer}")
      if self.bidirectional:
        backward = nn.RNN(
            self._cell(f"cell{layer}_bwd"),
            name=f"rnn{layer}_bwd",
            reverse=True,
            keep_order=True,
        )
        x = nn.Bidirectional(forward, backward, name=f"bi{layer}")(x)
      else:
        x = forward(x)
    return x


class ResidualRnn(Recurrent):
  """A recurrent net whose linear head (gain 0.01) outputs a residual."""

  out_dim: int = 0

  @nn.compact
  def __call__(self, x):
    h = Recurrent(
        self.hidden,
        self.num_layers,
        self.cell,
        self.bidirectional,
        name="temporal",
    )(x)
    return nn.Dense(self.out_dim, kernel_init=small_init(), name="head")(h)


class ShapeMlp(nn.Module):
  """FC -> ReLU -> Dropout per hidden layer, then a gain-0.01 linear head."""

  hidden: Sequence[int]
  out_dim: int
  dropout: float

  @nn.compact
  def __call__(self, x, *, train: bool):
    for i, width in enumerate(self.hidden):
      x = nn.relu(nn.Dense(width, name=f"fc{i}")(x))
      x = nn.Dropout(self.dropout, deterministic=not train)(x)
    return nn.Dense(self.out_dim, kernel_init=small_init(), name="head")(x)


class CameraMlp(nn.Module):
  """The static-camera alternative: per-frame MLP, no recurrence."""

  hidden: int
  out_dim: int = 3

  @nn.compact
  def __call__(self, x):
    x = nn.relu(nn.Dense(self.hidden, name="fc0")(x))
    return nn.Dense(self.out_dim, kernel_init=small_init(), name="head")(x)


class Lmr(nn.Module):
  """The LMR regressor over per-frame features (precomputed backbone)."""

  partition: parts_lib.Partition
  rot_repr: str = "6d"
  hidden: int = 1024
  num_layers: int = 1
  rnn_cell: str = "gru"
  bidirectional: bool = False
  num_iters: int = 3
  root_conditioning: bool = True
  shape_hidden: Sequence[int] = (1024, 1024)
  shape_dropout: float = 0.5
  shape_input: str = "previous"
  cam_input: str = "previous"
  camera_module: str = "rnn"
  cam_hidden: int = 1024

  def setup(self):
    dim = rotations.DIMS[self.rot_repr]
    rnn = dict(
        hidden=self.hidden,
        num_layers=self.num_layers,
        cell=self.rnn_cell,
        bidirectional=self.bidirectional,
    )
    self.part_rnns = [
        ResidualRnn(out_dim=dim * len(joints), name=f"{name}_rnn", **rnn)
        for name, joints in zip(self.partition.names, self.partition.joints)
    ]
    self.shape_mlp = ShapeMlp(
        self.shape_hidden, 10, self.shape_dropout, name="shape_mlp"
    )
    if self.camera_module == "rnn":
      self.camera = ResidualRnn(
          hidden=self.cam_hidden,
          cell=self.rnn_cell,
          out_dim=3,
          name="camera_rnn",
      )
    elif self.camera_module == "mlp":
      self.camera = CameraMlp(self.cam_hidden, name="camera_mlp")
    else:
      raise ValueError(
          f"camera_module must be 'rnn' or 'mlp', got "
          f"{self.camera_module!r}."
      )
    for knob, value, valid in (
        ("shape_input", self.shape_input, ("previous", "mean")),
        ("cam_input", self.cam_input, ("previous", "init")),
    ):
      if value not in valid:
        raise ValueError(f"{knob} must be one of {valid}, got {value!r}.")

  def __call__(
      self, features, mean_pose, mean_shape, mean_cam, *, train: bool = False
  ) -> list[dict[str, Any]]:
    """features [B, T, F]; mean_pose [J, d] in SMPL order (d = 6 or 3).

    Returns one dict per iteration with `pose` [B, T, J, d] and `rotmat`
    [B, T, J, 3, 3] in SMPL order, `betas` [B, T, 10], `cam` [B, T, 3].
    """
    batch, length = features.shape[:2]
    frames = lambda x: jnp.broadcast_to(x, (batch, length) + x.shape)
    pose = frames(mean_pose[self.partition.part_to_smpl])  # part order
    part_pose = [
        pose[:, :, s].reshape(batch, length, -1)
        for s in self.partition.slices()
    ]
    betas_mean, cam_init = frames(mean_shape), frames(mean_cam)
    betas, cam = betas_mean, cam_init
    outputs = []
    for v in range(self.num_iters):
      root = part_pose[0] + self.part_rnns[0](
          jnp.concatenate([features, part_pose[0], betas], -1)
      )
      part_pose = [root] + [
          p
          + rnn(
              jnp.concatenate(
                  [features, p, betas]
                  + ([root] if self.root_conditioning else []),
                  -1,
              )
          )
          for p, rnn in zip(part_pose[1:], self.part_rnns[1:])
      ]
      theta = jnp.concatenate(part_pose, -1)
      betas_in = betas_mean if self.shape_input == "mean" or v == 0 else betas
      betas = betas_in + self.shape_mlp(
          jnp.concatenate([features, theta, betas_in], -1), train=train
      )
      cam_in = cam_init if self.cam_input == "init" or v == 0 else cam
      cam = cam_in + self.camera(
          jnp.concatenate([features, theta, betas, cam_in], -1)
      )
      outputs.append(self._outputs(theta, betas, cam))
    return outputs

  def _outputs(self, theta, betas, cam):
    batch, length = theta.shape[:2]
    pose = theta.reshape(batch, length, self.partition.num_joints, -1)
    pose = pose[:, :, self.partition.smpl_to_part]
    rotmat = rotations.TO_MATRIX[self.rot_repr](pose)
    return {"pose": pose, "rotmat": rotmat, "betas": betas, "cam": cam}
