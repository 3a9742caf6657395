"""AKD-GAN (Li, dissertation ch. 4): StarGAN + attention knowledge distillation.

Roles: `gen` and `disc` (the student StarGAN, trained) and, with
`akd.enabled`, `teacher_gen` / `teacher_disc` (frozen; optimizer name
"frozen", read from `akd.teacher_ckpt` by `init`). One jitted train step
does StarGAN's update order:

  1. c_trg = c_org of a random permutation of the batch;
  2. D step (every iteration): L_D = L_adv^D (WGAN-GP) + lambda_cls L_cls^r;
  3. G step when (step + 1) % n_critic == 0, against the updated D:
     L_G = L_adv^G + lambda_cls L_cls^f + lambda_rec L_rec
           + lambda_akd L_akd   (Eq. 4.8; Eq. 4.10 in pseudo mode).

L_akd compares the student's Grad-CAM maps (computed inside the G loss, so
gradients flow through F and the pooled weights) with the frozen teacher's
(stop_gradient). Gradients are taken w.r.t. the G params only, so L_akd
never reaches D (spec pitfall 3).
"""

from typing import Any

import jax
import jax.numpy as jnp

from jaxvision.core import method as method_lib
from jaxvision.methods.akd import attention
from jaxvision.methods.akd import data
from jaxvision.methods.akd import evaluate as evaluate_lib
from jaxvision.methods.akd import losses
from jaxvision.methods.akd import model as model_lib
from jaxvision.methods.akd import predict as predict_lib
from jaxvision.methods.akd import teacher as teacher_lib

CLASSES = ("all", "target", "changed")
MODES = ("same", "pseudo")


def student(config) -> tuple[model_lib.Generator, model_lib.Discriminator]:
  return model_lib.build(
      config.model, config.data.image_size, len(config.data.attrs)
  )


def teacher(config) -> tuple[model_lib.Generator, model_lib.Discriminator]:
  return model_lib.build(
      config.akd.teacher_model,
      config.data.image_size,
      len(config.akd.teacher_attrs),
  )


def check_akd_config(config) -> None:
  """Clear errors for inconsistent AKD settings (before any tracing)."""
  akd = config.akd
  if akd.mode not in MODES:
    raise ValueError(f"Unknown akd.mode {akd.mode!r}; use one of {MODES}.")
  if akd.classes not in CLASSES:
    raise ValueError(
        f"Unknown akd.classes {akd.classes!r}; use one of " f"{CLASSES}."
    )
  if akd.mode == "same" and list(akd.teacher_attrs) != list(config.data.attrs):
    raise ValueError(
        f"akd.mode='same' needs akd.teacher_attrs == data.attrs; "
        f"got {list(akd.teacher_attrs)} vs "
        f"{list(config.data.attrs)}. Use mode='pseudo' with a "
        "pair_map for a teacher of other attributes."
    )
  if akd.mode == "pseudo":
    bad = {
        s: t
        for s, t in akd.pair_map.items()
        if s not in config.data.attrs or t not in akd.teacher_attrs
    }
    if bad or not akd.pair_map:
      raise ValueError(
          f"akd.pair_map must map data.attrs to "
          f"akd.teacher_attrs; invalid or empty: {bad}."
      )


def init(ctx: method_lib.StageContext, rng: jax.Array) -> dict[str, Any]:
  config = ctx.config
  size, c_dim = config.data.image_size, len(config.data.attrs)
  s_rng, t_rng = jax.random.split(rng)
  params = model_lib.init_params(*student(config), s_rng, size, c_dim)
  if config.akd.enabled:
    check_akd_config(config)
    t_gen, t_disc = teacher(config)
    abstract = jax.eval_shape(
        lambda r: model_lib.init_params(
            t_gen, t_disc, r, size, len(config.akd.teacher_attrs)
        ),
        t_rng,
    )
    loaded = teacher_lib.load(config.akd.teacher_ckpt, abstract)
    params["teacher_gen"] = loaded["gen"]
    params["teacher_disc"] = loaded["disc"]
  return params


def _pair_matrix(config) -> jax.Array:
  """(K_S, K_T) 0/1: student class k is paired with teacher class j."""
  attrs, t_attrs = list(config.data.attrs), list(config.akd.teacher_attrs)
  pairs = (
      {a: a for a in attrs}
      if config.akd.mode == "same"
      else dict(config.akd.pair_map)
  )
  m = [[float(pairs.get(a) == t) for t in t_attrs] for a in attrs]
  return jnp.asarray(m, jnp.float32)


def teacher_labels(
    config, c_trg: jax.Array, teacher_gt: jax.Array
) -> jax.Array:
  """c^pse in the teacher's label space (Eq. 4.9's conditioning).

  Starts from the images' ground truth of the teacher attributes and sets
  each paired teacher attribute to its student's target (OR over many-to-one
  pairs); a hair colour set to 1 this way clears the other hair colours.
  """
  m = _pair_matrix(config)
  paired = m.sum(0) > 0
  value = jnp.max(c_trg[:, :, None] * m[None], axis=1)
  c = jnp.where(paired[None], value, teacher_gt)
  hair = jnp.asarray([a in data.HAIR_COLOURS for a in config.akd.teacher_attrs])
  set_hair = jnp.any(hair & paired & (value > 0.5), axis=-1, keepdims=True)
  clear = set_hair & hair[None] & ~(paired[None] & (value > 0.5))
  return jnp.where(clear, 0.0, c)


def class_weights(
    classes: str, c_org: jax.Array, c_trg: jax.Array
) -> jax.Array:
  """(B, K) which student attention maps enter L_akd."""
  if classes == "all":
    return jnp.ones_like(c_trg)
  if classes == "target":
    return c_trg
  return (c_trg != c_org).astype(c_trg.dtype)


def make_train_step(ctx: method_lib.StageContext):
  config = ctx.config
  gen, disc = student(config)
  c_dim = len(config.data.attrs)
  lam = config.loss
  akd_cfg = config.akd
  label_type = config.data.label_type
  if akd_cfg.enabled:
    check_akd_config(config)
    t_gen, t_disc = teacher(config)
    t_columns = jnp.asarray(
        [data.source_attrs(config).index(a) for a in akd_cfg.teacher_attrs]
    )
    pairs = jnp.argmax(_pair_matrix(config), axis=1)
    pairs = jnp.where(_pair_matrix(config).sum(1) > 0, pairs, -1)

  def g_apply(gp, x, c):
    return gen.apply({"params": gp}, x, c)

  def d_loss_fn(dp, gp, x, c_org, c_trg, rng):
    fake = jax.lax.stop_gradient(g_apply(gp, x, c_trg))
    src_real, cls_real = disc.apply({"params": dp}, x)
    src_fake, _ = disc.apply({"params": dp}, fake)
    x_hat = losses.interpolate(x, fake, rng)
    penalty = losses.gradient_penalty(
        lambda z: disc.apply({"params": dp}, z)[0], x_hat
    )
    adv = -src_real.mean() + src_fake.mean()
    cls = losses.classification(cls_real, c_org, label_type)
    loss = adv + lam.lambda_gp * penalty + lam.lambda_cls * cls
    return loss, {"d/adv": adv, "d/gp": penalty, "d/cls": cls}

  def g_loss_fn(gp, dp, frozen, x, c_org, c_trg, teacher_gt):
    fake = g_apply(gp, x, c_trg)
    src_fake, cls_fake = disc.apply({"params": dp}, fake)
    adv = -src_fake.mean()
    cls = losses.classification(cls_fake, c_trg, label_type)
    rec = losses.reconstruction(x, g_apply(gp, fake, c_org))
    loss = adv + lam.lambda_cls * cls + lam.lambda_rec * rec
    metrics = {"g/adv": adv, "g/cls": cls, "g/rec": rec}
    if akd_cfg.enabled:
      maps_s = attention.attention_maps(
          gen,
          disc,
          gp,
          dp,
          x,
          c_trg,
          akd_cfg.student_block,
          akd_cfg.score,
          akd_cfg.detach_alpha,
      )
      c_teacher = (
          c_trg
          if akd_cfg.mode == "same"
          else teacher_labels(config, c_trg, teacher_gt)
      )
      maps_t = attention.attention_maps(
          t_gen,
          t_disc,
          frozen["teacher_gen"],
          frozen["teacher_disc"],
          x,
          c_teacher,
          akd_cfg.teacher_block,
          akd_cfg.score,
      )
      akd = losses.akd(
          maps_t,
          maps_s,
          pairs,
          class_weights(akd_cfg.classes, c_org, c_trg),
          akd_cfg.norm,
          akd_cfg.normalize,
      )
      loss = loss + akd_cfg.lambda_akd * akd
      metrics["g/akd"] = akd
    return loss, {"g/loss": loss, **metrics}

  def train_step(state, batch, rng):
    x = batch["image"]
    attrs = batch["attributes"].astype(jnp.float32)
    c_org = attrs[:, :c_dim]
    perm_rng, gp_rng = jax.random.split(rng)
    c_trg = c_org[jax.random.permutation(perm_rng, x.shape[0])]
    teacher_gt = attrs[:, t_columns] if akd_cfg.enabled else None

    (d_loss, d_metrics), d_grads = jax.value_and_grad(d_loss_fn, has_aux=True)(
        state.params["disc"], state.params["gen"], x, c_org, c_trg, gp_rng
    )
    state = state.apply_gradients({"disc": d_grads})

    def g_step(state):
      grads, metrics = jax.grad(g_loss_fn, has_aux=True)(
          state.params["gen"],
          state.params["disc"],
          state.frozen,
          x,
          c_org,
          c_trg,
          teacher_gt,
      )
      # NOTE: G metrics exist only on G steps; scaling by n_critic makes the
      # engine's mean over a log window (a multiple of n_critic) equal the
      # mean over that window's G steps (spec pitfall 9).
      scaled = {k: v * lam.n_critic for k, v in metrics.items()}
      return state.apply_gradients({"gen": grads}), scaled

    def skip(state):
      shapes = jax.eval_shape(g_step, state)[1]
      return state, {k: jnp.zeros(s.shape, s.dtype) for k, s in shapes.items()}

    do_g = (state.step + 1) % lam.n_critic == 0
    state, g_metrics = jax.lax.cond(do_g, g_step, skip, state)
    return state, {"loss": d_loss, **d_metrics, **g_metrics}

  return train_step


def abstract_batch(ctx: method_lib.StageContext) -> dict[str, Any]:
  """Global training batch: images in [-1, 1] and the source's attributes."""
  config, batch = ctx.config, ctx.stage.batch_size
  size = config.data.image_size
  return {
      "image": jax.ShapeDtypeStruct((batch, size, size, 3), jnp.float32),
      "attributes": jax.ShapeDtypeStruct(
          (batch, len(data.source_attrs(config))), jnp.int32
      ),
  }


def eval_fns(ctx: method_lib.StageContext, batch: int) -> dict[str, Any]:
  """The translation forward G(x, c) on `batch` images."""
  config = ctx.config
  gen, _ = student(config)
  size, c_dim = config.data.image_size, len(config.data.attrs)
  x = jax.ShapeDtypeStruct((batch, size, size, 3), jnp.float32)
  c = jax.ShapeDtypeStruct((batch, c_dim), jnp.float32)
  params = jax.eval_shape(gen.init, jax.random.key(0), x, c)
  return {"translate": (gen.apply, (params,), (x, c))}


def flops_fns(ctx: method_lib.StageContext):
  config = ctx.config
  gen, disc = student(config)
  size, c_dim = config.data.image_size, len(config.data.attrs)
  x = jax.ShapeDtypeStruct((1, size, size, 3), jnp.float32)
  c = jax.ShapeDtypeStruct((1, c_dim), jnp.float32)
  g_params = jax.eval_shape(gen.init, jax.random.key(0), x, c)
  d_params = jax.eval_shape(disc.init, jax.random.key(0), x)
  return {
      "generator": (lambda p, x, c: gen.apply(p, x, c), (g_params, x, c)),
      "discriminator": (lambda p, x: disc.apply(p, x), (d_params, x)),
  }


METHOD = method_lib.Method(
    name="akd",
    init=init,
    make_train_step=make_train_step,
    make_train_data=data.make_train_data,
    evaluate=evaluate_lib.evaluate,
    flops_fns=flops_fns,
    predict=predict_lib.predict,
    abstract_batch=abstract_batch,
    eval_fns=eval_fns,
)
