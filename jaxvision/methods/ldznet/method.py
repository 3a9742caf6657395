"""LD-ZNet / ZNet / RGBNet on the engine (spec: shared/specs/ldznet.md).

Roles: `net` (trainable: the segmentation UNet, mask head, and for LD-ZNet
the attention pools and CrossAttn_ldm layers; for RGBNet the RGB stem) and
`ldm` (frozen: the autoencoder and CLIP text encoder, plus the LDM UNet
when `ldm.enabled`; rebuilt from its source on resume, unless an earlier
stage pretrained it, see `pretrain.py`). `net`'s UNet starts from the LDM UNet
(`init_from_ldm`), read from `ldm.weights` or random for CPU configs.

One train step: text tokens -> context, image -> z * ldm.scale_factor
(posterior sample), [z_t at t ~ U{300..499} -> frozen UNet -> F_6..F_10],
net(z or image, context, F) -> logits; binary cross-entropy with the mask.
The frozen branch runs under `stop_gradient`, and its PRNG comes from one
key per example (`features.example_keys(seed, index)`), so batches are
reproducible on any device count and after a resume.
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np

from jaxvision.core import method as method_lib
from jaxvision.evaluators import segmentation
from jaxvision.methods.ldznet import data as data_lib
from jaxvision.methods.ldznet import feature_cache
from jaxvision.methods.ldznet import forward as forward_lib
from jaxvision.methods.ldznet import model as model_lib
from jaxvision.methods.ldznet import predictor
from jaxvision.methods.ldznet import pretrain


def init(ctx: method_lib.StageContext, rng: jax.Array) -> dict:
  config = ctx.config
  net_rng = jax.random.split(rng)[1]
  ldm = forward_lib.frozen_ldm(config, rng)
  cfg = forward_lib.net_config(config)
  images, tokens, keys = forward_lib.example_inputs(config)
  ext = forward_lib.extractor(config, training=True)
  z, context = jax.eval_shape(ext.encode, ldm, images, tokens, keys)
  feats = None
  if cfg.ldm_blocks:
    feats = {
        k: jnp.zeros((1, *s))
        for k, s in ext.feature_shapes(config.ldm.image_size).items()
    }
  x = images if cfg.input == "rgb" else jnp.zeros(z.shape, z.dtype)
  params = model_lib.SegmentationNet(cfg).init(
      net_rng, x, jnp.zeros(context.shape, context.dtype), feats
  )["params"]
  if config.model.init_from_ldm:
    params = model_lib.init_from_ldm(params, ldm["unet"])
  return {"net": params, "ldm": _drop_unused_unet(ctx, ldm)}


def _drop_unused_unet(ctx: method_lib.StageContext, ldm: dict) -> dict:
  """ZNet / RGBNet segment stages hold no LDM UNet (only LD-ZNet runs it;
  the pretraining stages train it)."""
  if (
      pretrain.stage_kind(ctx.stage) == pretrain.SEGMENT
      and not ctx.config.ldm.enabled
  ):
    return {k: v for k, v in ldm.items() if k != "unet"}
  return ldm


def make_train_step(ctx: method_lib.StageContext):
  kind = pretrain.stage_kind(ctx.stage)
  if kind != pretrain.SEGMENT:
    return pretrain.TRAIN_STEPS[kind](ctx.config)
  return forward_lib.bce_train_step(
      forward_lib.make_forward(ctx.config, training=True),
      ctx.config.seed,
      role="net",
  )


def make_train_data(ctx: method_lib.StageContext, seed: int):
  cached = bool(ctx.config.ldm.get("feature_cache", ""))
  if cached:
    # NOTE: checked when the run's first stage starts, not after the
    # pretraining stages.
    feature_cache.cached_stage(ctx.config)
  if pretrain.stage_kind(ctx.stage) != pretrain.SEGMENT:
    return data_lib.make_caption_data(ctx, seed)
  open_cache = (
      functools.partial(feature_cache.Cache, ctx.config, ctx.index, seed)
      if cached
      else None
  )
  return data_lib.make_train_data(ctx, seed, open_cache)


def abstract_batch(ctx: method_lib.StageContext) -> dict:
  """The stage's global training batch (`data.py`'s layout): image, tokens,
  and for the segment stage mask and index (pretraining stages read captions
  with images, masks unused)."""
  batch = ctx.stage.batch_size
  images, tokens, _ = jax.eval_shape(
      lambda: forward_lib.example_inputs(ctx.config, batch)
  )
  spec = {"image": images, "tokens": tokens}
  if pretrain.stage_kind(ctx.stage) == pretrain.SEGMENT:
    spec["mask"] = jax.ShapeDtypeStruct(images.shape[:3], jnp.float32)
    spec["index"] = jax.ShapeDtypeStruct((batch,), jnp.int32)
  return spec


def eval_fns(ctx: method_lib.StageContext, batch: int) -> dict:
  """The segment stage's inference forward (frozen branch + net) at `batch`."""
  if pretrain.stage_kind(ctx.stage) != pretrain.SEGMENT:
    return {}
  params = jax.eval_shape(lambda: init(ctx, jax.random.key(0)))
  forward = forward_lib.make_forward(ctx.config, training=False)
  inputs = jax.eval_shape(lambda: forward_lib.example_inputs(ctx.config, batch))
  return {"inference": (forward, (params["net"], params["ldm"]), inputs)}


def transition(
    prev_ctx: method_lib.StageContext,
    ctx: method_lib.StageContext,
    params: dict,
) -> dict:
  """Entering the segment stage from LDM pretraining: the net's UNet starts
  from the pretrained LDM UNet (`model.init_from_ldm`), as it would from SD."""
  if (
      pretrain.stage_kind(prev_ctx.stage) == pretrain.SEGMENT
      or pretrain.stage_kind(ctx.stage) != pretrain.SEGMENT
  ):
    return params
  net = params["net"]
  if ctx.config.model.init_from_ldm:
    net = model_lib.init_from_ldm(net, params["ldm"]["unet"])
  return {"net": net, "ldm": _drop_unused_unet(ctx, params["ldm"])}


def evaluate(ctx: method_lib.StageContext, state) -> dict[str, float]:
  """CLIPSeg-protocol metrics on every `eval.datasets` entry (held out).

  Besides the model, two trivial baselines on the same examples: predicting
  every pixel as foreground (`<name>/all_fg_iou_fg`, about the mean
  foreground fraction) and the model with each example's prompt swapped for
  another example's (`<name>/shuffled_prompt_*`: what is left when the text
  is ignored).
  """
  config = ctx.config
  if pretrain.stage_kind(ctx.stage) != pretrain.SEGMENT:
    # NOTE: LDM pretraining stages are judged by the segment stage after
    # them; their training losses are logged.
    return {}
  segmenter = predictor.Segmenter(
      config,
      jax.device_get(state.params["net"]),
      jax.device_get(state.frozen["ldm"]),
  )
  miou_mode = config.eval.miou_mode
  results = {}
  for name in data_lib.eval_names(config):
    model_m = segmentation.FixedThresholdMetrics(miou_mode)
    all_fg = segmentation.FixedThresholdMetrics(miou_mode)
    shuffled = segmentation.FixedThresholdMetrics(miou_mode)
    seen = 0
    for batch in data_lib.make_eval_data(config, name, config.eval.batch_size):
      valid = np.asarray(batch["valid"], bool)
      indices = np.arange(seen, seen + len(valid))
      seen += len(valid)
      masks = np.asarray(batch["mask"])[valid]
      probs = segmenter.probabilities(batch["image"], batch["tokens"], indices)
      model_m.add(probs[valid], masks)
      all_fg.add(np.ones_like(masks, np.float64), masks)
      if config.eval.shuffled_prompt_baseline:
        # NOTE: the whole padded batch, so the compiled forward is reused.
        tokens = np.asarray(batch["tokens"]).copy()
        tokens[valid] = np.roll(tokens[valid], 1, axis=0)
        wrong = segmenter.probabilities(batch["image"], tokens, indices)
        shuffled.add(wrong[valid], masks)
    for key, value in model_m.result().items():
      results[f"{name}/{key}"] = value
    results[f"{name}/all_fg_iou_fg"] = all_fg.result()["iou_fg"]
    if shuffled.num_samples:
      for key in ("iou_fg", "miou", "ap"):
        results[f"{name}/shuffled_prompt_{key}"] = shuffled.result()[key]
  return results


def flops_fns(ctx: method_lib.StageContext):
  """Inference on one example: AE encoder + text encoder [+ one frozen UNet
  pass to the last injected block] + the segmentation net."""
  config = ctx.config
  params = jax.eval_shape(lambda: init(ctx, jax.random.key(0)))
  forward = forward_lib.make_forward(config, training=False)
  args = jax.eval_shape(lambda: forward_lib.example_inputs(config))
  return {"inference": (forward, (params["net"], params["ldm"], *args))}


METHOD = method_lib.Method(
    name="ldznet",
    init=init,
    make_train_step=make_train_step,
    make_train_data=make_train_data,
    evaluate=evaluate,
    transition=transition,
    flops_fns=flops_fns,
    predict=predictor.predict,
    extract_features=feature_cache.extract,
    abstract_batch=abstract_batch,
    eval_fns=eval_fns,
)
