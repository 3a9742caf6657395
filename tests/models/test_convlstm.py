"""ConvLSTM / BiConvLSTM: equations, time alignment, shapes (spec 11.5)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxvision.models import convlstm


def _sequence(t=4, last_only=False):
  x = jax.random.normal(jax.random.key(0), (2, t, 5, 5, 3))
  if last_only:
    x = x.at[:, :-1].set(0.0)
  return x


def test_cell_matches_the_text_equations():
  cell = convlstm.ConvLSTMCell(hidden=2, kernel=1)
  x = jax.random.normal(jax.random.key(0), (1, 1, 1, 3))
  h0 = jax.random.normal(jax.random.key(1), (1, 1, 1, 2))
  c0 = jax.random.normal(jax.random.key(2), (1, 1, 1, 2))
  params = cell.init(jax.random.key(3), (h0, c0), x)
  (h, c), out = cell.apply(params, (h0, c0), x)
  w = np.asarray(params["params"]["gates"]["kernel"])[0, 0]  # (5, 8)
  b = np.asarray(params["params"]["gates"]["bias"])
  z = np.concatenate([x.ravel(), h0.ravel()]) @ w + b
  sig = lambda v: 1 / (1 + np.exp(-v))
  i, f, o, g = np.split(z, 4)
  c_ref = sig(f) * np.ravel(c0) + sig(i) * np.tanh(g)
  h_ref = sig(o) * np.tanh(c_ref)
  np.testing.assert_allclose(np.ravel(c), c_ref, rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(np.ravel(h), h_ref, rtol=1e-5, atol=1e-6)
  np.testing.assert_array_equal(out, h)
  assert not np.any(b)  # zero bias init, no forget-gate bias of 1


@pytest.mark.parametrize("unroll", [1, 4])
def test_bidirectional_alignment(unroll):
  net = convlstm.BiConvLSTM(hidden=4, features=6, unroll=unroll)
  x = _sequence(last_only=True)
  variables = net.init(jax.random.key(0), x)
  y = net.apply(variables, x)
  assert y.shape == (2, 4, 5, 5, 6)
  p = variables["params"]
  forward = convlstm.ConvLSTM(4, unroll=unroll).apply(
      {"params": p["forward"]}, x
  )
  backward = jnp.flip(
      convlstm.ConvLSTM(4, unroll=unroll).apply(
          {"params": p["backward"]}, jnp.flip(x, 1)
      ),
      1,
  )
  # Input is zero except at the last step: the forward state at t=0 never
  # saw it (it is the zero-input response), the backward state at t=0 did.
  zero_response = convlstm.ConvLSTM(4).apply(
      {"params": p["forward"]}, jnp.zeros_like(x)
  )
  np.testing.assert_allclose(forward[:, 0], zero_response[:, 0], atol=1e-6)
  backward_zero = convlstm.ConvLSTM(4).apply(
      {"params": p["backward"]}, jnp.zeros_like(x)
  )
  assert float(jnp.abs(backward[:, 0] - backward_zero[:, 0]).max()) > 1e-3
  # The backward output at the last step saw only that step.
  single = convlstm.ConvLSTM(4).apply({"params": p["backward"]}, x[:, -1:])
  np.testing.assert_allclose(backward[:, -1], single[:, 0], atol=1e-5)


def test_shared_direction_weights_and_errors():
  x = _sequence()
  shared = convlstm.BiConvLSTM(
      hidden=4, features=6, share_direction_weights=True
  )
  assert set(shared.init(jax.random.key(0), x)["params"]) == {"forward", "fuse"}
  with pytest.raises(ValueError, match=r"\(B, T, H, W, C\)"):
    shared.init(jax.random.key(0), x[:, 0])
  with pytest.raises(ValueError, match="Unknown fuse_act"):
    convlstm.BiConvLSTM(hidden=4, features=6, fuse_act="gelu").init(
        jax.random.key(0), x
    )
