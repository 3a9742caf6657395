"""Attention maths: the Jacobian trick, Eq. 7.5, DA, fusion and L_AD."""

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from jaxvision import config_lib
from jaxvision.methods.vae_attention import attention
from jaxvision.methods.vae_attention import model as model_lib
from jaxvision.methods.vae_attention import steps


def _encoder_and_tap(tap="post_act"):
  enc = model_lib.ConvEncoder(
      features=(4, 8, 8), fc=(16,), latent_dim=5, tap=tap
  )
  x = jax.random.uniform(jax.random.key(0), (2, 16, 16, 1))
  variables = enc.init(jax.random.key(1), x)
  a = enc.apply(variables, x, "conv2", method=model_lib.ConvEncoder.trunk)

  def head(a_i):
    mu, logvar = enc.apply(
        variables, a_i[None], "conv2", method=model_lib.ConvEncoder.head
    )
    return mu[0], logvar[0]

  return a[0], head


def test_jacobian_trick_equals_per_element_grad():
  a, head = _encoder_and_tap()
  fn = attention.posterior_fn(head)
  jm, js = jax.jit(attention.latent_jacobians, static_argnums=0)(fn, a)

  @jax.jit
  def direct(eps, i):
    """GAP of d z_i / dA by a plain backward pass of the sampled z_i."""

    def z_i(a_):
      m, s = fn(a_)
      return m[i] + s[i] * eps[i]

    return jax.grad(z_i)(a).mean(axis=(0, 1))

  for seed in range(3):
    eps = jax.random.normal(jax.random.key(10 + seed), (5,))
    trick = attention.channel_weights(jm, js, eps)
    for i in range(5):
      np.testing.assert_allclose(trick[i], direct(eps, i), rtol=1e-5, atol=1e-6)


def test_pre_act_tap_differs_and_head_starts_with_relu():
  a_post, _ = _encoder_and_tap("post_act")
  a_pre, _ = _encoder_and_tap("pre_act")
  assert (a_pre < 0).any() and (a_post >= 0).all()
  np.testing.assert_allclose(jax.nn.relu(a_pre), a_post, atol=1e-6)


def test_ndd_is_the_difference_of_two_gaussians():
  a, head = _encoder_and_tap()
  normal_mu = jnp.array([0.5, -1.0, 0.0, 2.0, 0.3])
  normal_sigma = jnp.array([1.0, 0.5, 2.0, 0.2, 1.5])
  mean, std = attention.ndd_fn(head, normal_mu, normal_sigma)(a)
  mu_y, logvar_y = head(a)
  rng = np.random.default_rng(0)
  n = 200_000
  x = rng.normal(normal_mu, normal_sigma, (n, 5))
  y = rng.normal(mu_y, np.exp(0.5 * logvar_y), (n, 5))
  np.testing.assert_allclose((x - y).mean(0), mean, atol=0.02)
  np.testing.assert_allclose((x - y).var(0), np.square(std), rtol=0.05)
  flipped, _ = attention.ndd_fn(head, normal_mu, normal_sigma, "y_minus_x")(a)
  np.testing.assert_allclose(flipped, -mean, rtol=1e-6)


def test_ndd_normal_statistics_are_constants():
  a, head = _encoder_and_tap()
  g = jax.grad(lambda m: attention.ndd_fn(head, m, jnp.ones(5))(a)[0].sum())(
      jnp.zeros(5)
  )
  np.testing.assert_array_equal(g, 0.0)


def test_overlap_and_loss_by_hand():
  m1 = jnp.array([[1.0, 0.0], [0.0, 0.0]])
  m2 = jnp.array([[1.0, 1.0], [0.0, 0.0]])
  m3 = jnp.array([[0.0, 0.0], [0.0, 2.0]])
  # sum min = 1, sum (M1 + M2) = 3.
  np.testing.assert_allclose(attention.overlap(m1, m2), 1 / 3, rtol=1e-6)
  np.testing.assert_allclose(attention.overlap(m1, m3), 0.0)
  np.testing.assert_allclose(attention.overlap(m2, m2), 0.5, rtol=1e-6)
  # Eq. 7.7: one pair; identical maps give 1.
  np.testing.assert_allclose(
      attention.disentanglement_loss(jnp.stack([m2, m2])), 1.0, rtol=1e-6
  )
  # Eq. 7.8: three unordered pairs (1,2), (1,3), (2,3).
  three = jnp.stack([m1, m2, m3])
  np.testing.assert_allclose(
      attention.disentanglement_loss(three), 2 * (1 / 3 + 0 + 0), rtol=1e-6
  )
  # Eq. 7.6 read literally (ordered pairs) counts each pair twice.
  np.testing.assert_allclose(
      attention.disentanglement_loss(three, True), 4 * (1 / 3), rtol=1e-6
  )
  zero = jnp.zeros((2, 2, 2))
  assert float(attention.disentanglement_loss(zero)) == 0.0


def test_distribution_and_fusion_by_hand():
  maps = jnp.array([[[0.0, 1.0]], [[2.0, 1.0]]])  # J=2 maps of 1x2
  mean, std = attention.distribution(maps)
  np.testing.assert_allclose(mean, [[1.0, 1.0]])
  np.testing.assert_allclose(std, [[1.0, 0.0]])  # population std
  fused = attention.fuse(mean, std, alpha=10.0, beta=0.5)
  # std min-max normalises to [1, 0]: weights sigmoid(5), sigmoid(-5).
  np.testing.assert_allclose(
      fused, [[jax.nn.sigmoid(5.0), jax.nn.sigmoid(-5.0)]], rtol=1e-6
  )


def test_sample_maps_aggregate_and_reference_code_variants():
  a, head = _encoder_and_tap()
  jm, js = attention.latent_jacobians(attention.posterior_fn(head), a)
  eps = jax.random.normal(jax.random.key(3), (4, 5))
  cfg = ml_collections.ConfigDict(dict(aggregate="none"))
  per_element = attention.sample_maps(jm, js, a, eps, cfg)
  assert per_element.shape == (4, 5) + a.shape[:2]
  assert (per_element >= 0).all()
  cfg.aggregate = "mean"
  np.testing.assert_allclose(
      attention.sample_maps(jm, js, a, eps, cfg), per_element.mean(1), rtol=1e-5
  )
  cfg.update(score="sum_mu", post="abs")
  ref = attention.sample_maps(jm, js, a, eps, cfg)
  alpha = jm.sum(0).mean((0, 1))
  np.testing.assert_allclose(
      ref[0], jnp.abs(jnp.einsum("c,hwc->hw", alpha, a)), rtol=1e-5
  )
  cfg.update(score="per_element", post="relu", grad_norm="rms")
  rms = attention.sample_maps(jm, js, a, eps, cfg)
  assert rms.shape == (4,) + a.shape[:2] and np.isfinite(rms).all()


def _ad_config(attention_kind="sa"):
  """The mini-sprites AD-FactorVAE, narrowed to keep the test fast."""
  return config_lib.load_config(
      "configs/vae_attention/smoke_disentangle.py",
      [
          f"ad.attention={attention_kind!r}",
          "ad.num_samples=3",
          "model.encoder.features=[8, 8, 8]",
          "model.encoder.fc=[16]",
          "model.decoder.fc=[16]",
          "model.decoder.start_shape=[4, 4, 8]",
          "model.decoder.features=[8, 8, 1]",
      ],
  )


def test_attention_loss_is_second_order_and_reaches_the_trunk():
  for kind in ("sa", "da"):
    config = _ad_config(kind)
    vae = model_lib.build(config)
    x = (jax.random.uniform(jax.random.key(0), (4, 32, 32, 1)) > 0.7).astype(
        jnp.float32
    )
    eps = jax.random.normal(jax.random.key(1), (4, 6))
    variables = vae.init(jax.random.key(2), x, eps)

    def l_ad(v, alpha_v):
      """L_AD with the tap from v and the head (hence alpha) from alpha_v."""
      a = vae.apply(v, x, "conv3", method=model_lib.VAE.trunk)
      mu, logvar = vae.apply(v, a, "conv3", method=model_lib.VAE.head)
      kl = -0.5 * (1 + logvar - mu**2 - jnp.exp(logvar))
      return steps.ad_loss(
          vae, alpha_v, config, a, eps, kl, jax.random.key(3), (32, 32)
      )

    @jax.jit
    def grads(v):
      full = jax.grad(lambda p: l_ad(p, p))(v)
      frozen = jax.grad(lambda p: l_ad(p, jax.lax.stop_gradient(p)))(v)
      return full["params"]["encoder"], frozen["params"]["encoder"]

    full, first_order = grads(variables)
    assert float(jnp.abs(full["convs_0"]["kernel"]).sum()) > 0
    assert float(jnp.abs(full["mu"]["kernel"]).sum()) > 0
    # The mu head reaches L_AD only through alpha = d z / d A (a gradient).
    assert float(jnp.abs(first_order["mu"]["kernel"]).sum()) == 0
