"""Builds the configured regressor and its mean-parameter inputs."""

import jax.numpy as jnp

from jaxvision import user_errors
from jaxvision.methods.lmr import baseline
from jaxvision.methods.lmr import data
from jaxvision.methods.lmr import model as model_lib
from jaxvision.methods.lmr import parts as parts_lib
from jaxvision.models import rotations

TEMPORAL = ("local", "single_rnn")


def build_model(config):
  """The configured regressor: LMR ("local") or the VIBE-style baseline."""
  m = config.model
  if m.temporal == "local":
    lmr = m.lmr
    return model_lib.Lmr(
        partition=parts_lib.get(lmr.parts),
        rot_repr=lmr.rot_repr,
        hidden=lmr.hidden,
        num_layers=lmr.num_layers,
        rnn_cell=lmr.rnn_cell,
        bidirectional=lmr.bidirectional,
        num_iters=lmr.num_iters,
        root_conditioning=lmr.root_conditioning,
        shape_hidden=tuple(lmr.shape_hidden),
        shape_dropout=lmr.shape_dropout,
        shape_input=lmr.shape_input,
        cam_input=lmr.cam_input,
        camera_module=lmr.camera_module,
        cam_hidden=lmr.cam_hidden,
    )
  if m.temporal == "single_rnn":
    s = m.single_rnn
    return baseline.SingleRnn(
        rot_repr=m.lmr.rot_repr,
        hidden=s.hidden,
        num_layers=s.num_layers,
        rnn_cell=m.lmr.rnn_cell,
        fc_width=s.fc_width,
        dropout=s.dropout,
        num_iters=s.num_iters,
    )
  raise user_errors.InvalidValueError(
      f"model.temporal must be one of {TEMPORAL}, got " f"{m.temporal!r}."
  )


def mean_inputs(config):
  """(mean pose [J, d] in SMPL order, mean β [10], mean camera [3])."""
  mean = data.assets(config)[2]
  rot_repr = config.model.lmr.rot_repr
  if rot_repr not in rotations.DIMS:
    raise ValueError(
        f"model.lmr.rot_repr must be one of "
        f"{sorted(rotations.DIMS)}, got {rot_repr!r}."
    )
  pose6d = jnp.asarray(mean["pose"]).reshape(-1, 6)
  pose = pose6d if rot_repr == "6d" else rotations.rot6d_to_axis_angle(pose6d)
  return pose, jnp.asarray(mean["shape"]), jnp.asarray(mean["cam"])


def placeholder_means(config):
  """Zero mean inputs of the right shapes: init needs shapes, not files."""
  dim = rotations.DIMS[config.model.lmr.rot_repr]
  num_joints = parts_lib.get(config.model.lmr.parts).num_joints
  return (jnp.zeros((num_joints, dim)), jnp.zeros((10,)), jnp.zeros((3,)))
