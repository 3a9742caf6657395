"""Convolutional LSTMs over (B, T, H, W, C) sequences of feature maps.

`ConvLSTMCell` is the plain ConvLSTM of the violence-detection appendix
(dissertation 000, A.3.1.2): gates i, f, o and the candidate g come from
convolutions of the input X_t and the previous hidden state H_{t-1}, with no
peephole terms (unlike Shi et al.). One convolution over concat[X_t, H_{t-1}]
to 4 * hidden channels, split (i, f, o, g), equals the separate W_x* and
W_h* convolutions with one bias per gate. H_0 = C_0 = 0.

`BiConvLSTM` keeps a forward and a backward (h, c) sequence, stacks h_f[t]
and h_b[t] on channels and fuses them with a convolution into the step's
output Y[t] (Fig. A.2).
"""

import flax.linen as nn
import jax
import jax.numpy as jnp

# Spec defaults from Sudhakaran & Lanz [146]: Xavier-normal weights, zero
# biases (no forget-gate bias of 1).
_GATE_INIT = nn.initializers.xavier_normal()
_ACTIVATIONS = {None: None, "none": None, "relu": nn.relu, "tanh": jnp.tanh}


def _check_sequence(xs: jax.Array, name: str) -> None:
  if xs.ndim != 5:
    raise ValueError(
        f"{name} expects a (B, T, H, W, C) sequence, got shape " f"{xs.shape}."
    )


class ConvLSTMCell(nn.Module):
  """One ConvLSTM step: ((h, c), x) -> ((h, c), h)."""

  hidden: int
  kernel: int = 3

  @nn.compact
  def __call__(self, carry, x):
    h, c = carry
    gates = nn.Conv(
        4 * self.hidden,
        (self.kernel, self.kernel),
        padding="SAME",
        kernel_init=_GATE_INIT,
        bias_init=nn.initializers.zeros,
        name="gates",
    )(jnp.concatenate([x, h], axis=-1))
    i, f, o, g = jnp.split(gates, 4, axis=-1)
    c = nn.sigmoid(f) * c + nn.sigmoid(i) * jnp.tanh(g)
    h = nn.sigmoid(o) * jnp.tanh(c)
    return (h, c), h


class ConvLSTM(nn.Module):
  """A ConvLSTM run over time from t = 0: (B, T, H, W, C) -> (B, T, H, W, hidden).

  The cell's weights are shared over time (`nn.scan` broadcasts params).
  `unroll` time steps are unrolled per loop iteration; unrolling short
  sequences makes small CPU runs several times faster.
  """

  hidden: int
  kernel: int = 3
  unroll: int = 1

  @nn.compact
  def __call__(self, xs: jax.Array) -> jax.Array:
    _check_sequence(xs, "ConvLSTM")
    b, _, h, w, _ = xs.shape
    zeros = jnp.zeros((b, h, w, self.hidden), xs.dtype)
    scan = nn.scan(
        ConvLSTMCell,
        variable_broadcast="params",
        split_rngs={"params": False},
        in_axes=1,
        out_axes=1,
        unroll=self.unroll,
    )
    _, hs = scan(self.hidden, self.kernel, name="cell")((zeros, zeros), xs)
    return hs


class BiConvLSTM(nn.Module):
  """Bidirectional ConvLSTM layer: (B, T, H, W, C) -> (B, T, H, W, features).

  Attributes:
    hidden: channels of each direction's hidden state.
    features: channels of the fused output Y[t].
    kernel: ConvLSTM gate kernel size.
    fuse_kernel: kernel of the conv over concat[h_f[t], h_b[t]].
    fuse_act: activation after the fusion conv: None (spec default), 'relu'
      or 'tanh'.
    share_direction_weights: one ConvLSTM cell for both directions (the text's
      "a ConvLSTM cell with two sets of states" read literally) instead of one
      per direction.
    unroll: see `ConvLSTM`.
  """

  hidden: int
  features: int
  kernel: int = 3
  fuse_kernel: int = 3
  fuse_act: str | None = None
  share_direction_weights: bool = False
  unroll: int = 1

  @nn.compact
  def __call__(self, xs: jax.Array) -> jax.Array:
    _check_sequence(xs, "BiConvLSTM")
    if self.fuse_act not in _ACTIVATIONS:
      raise ValueError(
          f"Unknown fuse_act {self.fuse_act!r}; choose one of "
          f"{sorted(str(k) for k in _ACTIVATIONS)}."
      )
    forward = ConvLSTM(self.hidden, self.kernel, self.unroll, name="forward")
    backward = (
        forward
        if self.share_direction_weights
        else ConvLSTM(self.hidden, self.kernel, self.unroll, name="backward")
    )
    h_forward = forward(xs)
    # NOTE: run on the time-reversed input, then reverse the outputs back so
    # h_b[t] lines up with h_f[t] (invisible under max aggregation, wrong
    # under 'last' if forgotten).
    h_backward = jnp.flip(backward(jnp.flip(xs, axis=1)), axis=1)
    y = nn.Conv(
        self.features,
        (self.fuse_kernel, self.fuse_kernel),
        padding="SAME",
        name="fuse",
    )(jnp.concatenate([h_forward, h_backward], axis=-1))
    act = _ACTIVATIONS[self.fuse_act]
    return act(y) if act is not None else y
