"""The VIBE-style "single RNN" baseline (spec 3.8, `temporal="single_rnn"`).

One temporal encoder for the whole body (GRU layers, a linear layer back to
the feature width and a residual connection, VIBE's TemporalEncoder), then
SPIN's flat regressor: FC -> Dropout -> FC -> Dropout -> pose/shape/camera
heads, iterated with error feedback. No nonlinearity between the FC layers
(as in SPIN's code).
"""

from typing import Any

import flax.linen as nn
import jax.numpy as jnp

from jaxvision.methods.lmr import model as model_lib
from jaxvision.models import rotations


class SingleRnn(nn.Module):
  """Temporal encoder + flat iterative regressor, the same output dicts."""

  rot_repr: str = "6d"
  hidden: int = 1024
  num_layers: int = 2
  rnn_cell: str = "gru"
  fc_width: int = 1024
  dropout: float = 0.5
  num_iters: int = 3

  @nn.compact
  def __call__(
      self, features, mean_pose, mean_shape, mean_cam, *, train: bool = False
  ) -> list[dict[str, Any]]:
    batch, length, width = features.shape
    num_joints, dim = mean_pose.shape
    h = model_lib.Recurrent(
        self.hidden, self.num_layers, self.rnn_cell, name="temporal"
    )(features)
    features = features + nn.Dense(width, name="temporal_out")(h)
    frames = lambda x: jnp.broadcast_to(x, (batch, length) + x.shape)
    pose = frames(mean_pose).reshape(batch, length, -1)
    betas, cam = frames(mean_shape), frames(mean_cam)
    fc1 = nn.Dense(self.fc_width, name="fc1")
    fc2 = nn.Dense(self.fc_width, name="fc2")
    drop = nn.Dropout(self.dropout, deterministic=not train)
    decpose = nn.Dense(
        num_joints * dim, kernel_init=model_lib.small_init(), name="decpose"
    )
    decshape = nn.Dense(10, kernel_init=model_lib.small_init(), name="decshape")
    deccam = nn.Dense(3, kernel_init=model_lib.small_init(), name="deccam")
    outputs = []
    for _ in range(self.num_iters):
      x = drop(
          fc2(drop(fc1(jnp.concatenate([features, pose, betas, cam], -1))))
      )
      pose, betas, cam = pose + decpose(x), betas + decshape(x), cam + deccam(x)
      joint_pose = pose.reshape(batch, length, num_joints, dim)
      outputs.append(
          {
              "pose": joint_pose,
              "rotmat": rotations.TO_MATRIX[self.rot_repr](joint_pose),
              "betas": betas,
              "cam": cam,
          }
      )
    return outputs
