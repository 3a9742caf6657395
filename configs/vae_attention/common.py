"""Pieces shared by the VAE-attention configs (spec 3-7 defaults)."""

import ml_collections


def adam(lr: float, b1: float = 0.9, b2: float = 0.999) -> dict:
  return dict(name="adam", lr=lr, decay="constant", b1=b1, b2=b2)


def conv_vae(
    image_shape,
    features,
    fc,
    latent_dim,
    decoder_fc,
    start_shape,
    decoder_features,
    output_size=None,
) -> dict:
  """A stride-2 k4 p1 conv encoder and its transposed-conv mirror."""
  return dict(
      family="vae",
      latent_dim=latent_dim,
      image_shape=list(image_shape),
      encoder=dict(kind="conv", features=list(features), fc=list(fc), kernel=4),
      decoder=dict(
          kind="conv",
          fc=list(decoder_fc),
          start_shape=list(start_shape),
          features=list(decoder_features),
          kernel=4,
          output_size=output_size,
      ),
      disc=dict(hidden=1000, layers=6),
  )


def base(
    model: dict,
    data: dict,
    stage: dict,
    target_layer: str,
    recon: str,
    eval_cfg: dict,
) -> ml_collections.ConfigDict:
  """A full config; every knob of spec 10 has its [TEXT]/[DEFAULT] value.

  `target` (`aot`) is v3-8 for every paper config: no hardware is named.
  """
  return ml_collections.ConfigDict(
      dict(
          method="vae_attention",
          seed=0,
          model=model,
          data=data,
          stages=[stage],
          vae=dict(recon=recon, beta=1.0),
          factor=dict(gamma=10.0),
          ad=dict(
              weight=1.0,
              dims=[0, 1],
              ordered_pairs=False,
              attention="sa",
              num_samples=8,
              alpha=10.0,
              beta=0.5,
              dim_selection="fixed",
              map_resolution="native",
          ),
          attention=dict(
              target_layer=target_layer,
              tap="post_act",
              post="relu",
              grad_norm="none",
              score="per_element",
              aggregate="mean",
              latent_source="ndd",
          ),
          da=dict(num_samples=64, alpha=10.0, beta=0.5),
          ndd=dict(normal_stats="aggregate", sign="x_minus_y"),
          eval=eval_cfg,
          log_every=100,
          checkpoint=dict(every_steps=5000, keep=3, async_save=True),
          mesh=dict(data=-1, fsdp=1, tensor=1),
          partition_rules=[],
          target=dict(
              topology="v3-8",
              source="default: the text names no hardware (spec: not stated); "
              "one v3-8 host (8 cores): batches 128 (MNIST, dSprites), "
              "64 (UCSD), 32 (MVTec) divide over its 8 cores",
          ),
      )
  )


def anomaly_eval(
    batch_size: int = 64, num_png: int = 8, map_norm: str = "none"
) -> dict:
  return dict(
      kind="anomaly",
      batch_size=batch_size,
      num_png=num_png,
      map_norm=map_norm,
      seed=0,
  )


def disentanglement_eval(
    train_votes: int = 800,
    eval_votes: int = 800,
    vote_batch: int = 100,
    scale_samples: int = 10_000,
    overlap_images: int = 256,
) -> dict:
  return dict(
      kind="disentanglement",
      train_votes=train_votes,
      eval_votes=eval_votes,
      vote_batch=vote_batch,
      scale_samples=scale_samples,
      prune_threshold=0.05,
      overlap_images=overlap_images,
      seed=0,
  )
