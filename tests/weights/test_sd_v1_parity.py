"""SD v1.x converter parity: tiny reference models (diffusers, transformers)
saved in the real file layouts, converted, and run in Flax (float32, 1e-4).

Runs whenever the `parity` extra (torch, diffusers, transformers) is
installed; skipped otherwise.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")
pytest.importorskip("transformers")

# pylint: disable=g-import-not-at-top,wrong-import-position
from jaxvision import main
from jaxvision.models.sd import ldm
from jaxvision.weights import sd_v1
from jaxvision.weights import torch_to_flax
from tests.weights import bpe_files
from tests.weights import tiny_sd

ATOL = 1e-4
SINGLE_FILE_ARGS = dict(
    num_heads=tiny_sd.LDM_CONFIG.unet.num_heads,
    groups=tiny_sd.LDM_CONFIG.unet.groups,
    text_heads=tiny_sd.TEXT_HEADS,
)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
  """Torch models, their diffusers folder and the Flax conversion of it."""
  models = tiny_sd.build_models()
  folder = tiny_sd.save_diffusers(models, tmp_path_factory.mktemp("sd"))
  return models, folder, sd_v1.convert(folder)


def _nhwc(x):
  return jnp.asarray(tiny_sd.to_numpy(x).transpose(0, 2, 3, 1))


def test_diffusers_config_is_read(reference):
  _, _, converted = reference
  assert converted.config == tiny_sd.LDM_CONFIG


def test_unet_matches_diffusers(reference):
  (unet_model, _, _), _, converted = reference
  rng = torch.Generator().manual_seed(0)
  x = torch.randn(2, 4, 16, 16, generator=rng)
  t = torch.tensor([10, 500])
  context = torch.randn(2, 7, tiny_sd.CONTEXT, generator=rng)
  with torch.no_grad():
    want = unet_model(x, t, encoder_hidden_states=context).sample
  model, _, _ = ldm.models(converted.config)
  got = jax.jit(model.apply)(
      {"params": converted.params["unet"]},
      _nhwc(x),
      jnp.asarray(t.numpy()),
      jnp.asarray(context.numpy()),
  )
  np.testing.assert_allclose(got, _nhwc(want), atol=ATOL, rtol=1e-4)


def test_autoencoder_matches_diffusers(reference):
  (_, vae_model, _), _, converted = reference
  x = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(1))
  x = 2 * x - 1
  with torch.no_grad():
    posterior = vae_model.encode(x).latent_dist
    decoded = vae_model.decode(posterior.mean).sample
  _, model, _ = ldm.models(converted.config)
  variables = {"params": converted.params["vae"]}
  encode = jax.jit(lambda v, x: model.apply(v, x, method=model.encode))
  decode = jax.jit(lambda v, z: model.apply(v, z, method=model.decode))
  mean, logvar = encode(variables, _nhwc(x))
  np.testing.assert_allclose(mean, _nhwc(posterior.mean), atol=ATOL)
  np.testing.assert_allclose(logvar, _nhwc(posterior.logvar), atol=ATOL)
  got = decode(variables, _nhwc(posterior.mean))
  np.testing.assert_allclose(got, _nhwc(decoded), atol=ATOL)


def test_text_encoder_matches_transformers(reference):
  (_, _, text_model), _, converted = reference
  tokens = np.random.default_rng(0).integers(
      0, tiny_sd.LDM_CONFIG.text.vocab_size, (2, tiny_sd.TEXT_LEN)
  )
  with torch.no_grad():
    want = text_model(torch.tensor(tokens)).last_hidden_state
  _, _, model = ldm.models(converted.config)
  got = jax.jit(model.apply)(
      {"params": converted.params["text"]}, jnp.asarray(tokens)
  )
  np.testing.assert_allclose(got, tiny_sd.to_numpy(want), atol=ATOL)


def _assert_same_params(a, b):
  flat_a = jax.tree_util.tree_leaves_with_path(a)
  flat_b = dict(jax.tree_util.tree_leaves_with_path(b))
  assert len(flat_a) == len(flat_b)
  for path, value in flat_a:
    np.testing.assert_array_equal(value, flat_b[path], err_msg=str(path))


@pytest.mark.parametrize("fmt", ["ckpt", "safetensors"])
def test_compvis_single_file_matches_diffusers_folder(reference, tmp_path, fmt):
  models, _, converted = reference
  save = tiny_sd.save_ckpt if fmt == "ckpt" else tiny_sd.save_safetensors
  path = save(models, tmp_path / f"sd-tiny.{fmt}")
  single = sd_v1.convert(path, **SINGLE_FILE_ARGS)
  assert single.config == converted.config
  _assert_same_params(single.params, converted.params)


def test_full_ema_checkpoint_selects_the_ema_unet(reference, tmp_path):
  models, _, converted = reference
  path = tiny_sd.save_ckpt(models, tmp_path / "full-ema.ckpt", ema=True)
  ema = sd_v1.convert(path, weights="ema", **SINGLE_FILE_ARGS)
  _assert_same_params(
      ema.params["unet"],
      jax.tree.map(lambda x: 2.0 * x, converted.params["unet"]),
  )
  with pytest.raises(ValueError, match="no complete EMA UNet"):
    sd_v1.convert(
        tiny_sd.save_ckpt(models, tmp_path / "raw.ckpt"),
        weights="ema",
        **SINGLE_FILE_ARGS,
    )


def test_mismatched_file_lists_missing_unexpected_and_shapes(
    reference, tmp_path
):
  models, _, _ = reference
  state = {
      k: v.contiguous() for k, v in tiny_sd.compvis_state_dict(models).items()
  }
  del state["model.diffusion_model.out.2.bias"]
  state["model.diffusion_model.extra.weight"] = torch.zeros(3)
  key = "model.diffusion_model.input_blocks.1.0.in_layers.2.weight"
  state[key] = state[key][:, :5].contiguous()
  path = tmp_path / "bad.safetensors"
  import safetensors.torch  # pylint: disable=g-import-not-at-top

  safetensors.torch.save_file(state, str(path))
  with pytest.raises(torch_to_flax.WeightsMismatchError) as error:
    sd_v1.convert(path, **SINGLE_FILE_ARGS)
  message = str(error.value)
  assert "missing" in message and "conv_out/bias" in message
  assert "unexpected" in message and "extra.weight" in message
  assert "shape mismatch" in message and "resnets.0.conv1.weight" in message


def test_save_and_load_round_trip(reference, tmp_path):
  _, folder, converted = reference
  bpe_files.write_hf(folder / "tokenizer")
  sd_v1.save(converted, tmp_path / "out", sd_v1.find_tokenizer(folder))
  loaded = sd_v1.load(tmp_path / "out")
  assert loaded.config == converted.config
  _assert_same_params(loaded.params, converted.params)
  assert (tmp_path / "out" / "tokenizer" / "merges.txt").is_file()


def test_convert_command_writes_a_weights_folder(reference, tmp_path, capsys):
  _, folder, converted = reference
  dst = tmp_path / "cli"
  assert (
      main.run(["convert", "sd-v1", "--src", str(folder), "--dst", str(dst)])
      == 0
  )
  out = capsys.readouterr().out
  count = sum(x.size for x in jax.tree.leaves(converted.params["unet"]))
  assert f"params_unet={count}" in out
  _assert_same_params(sd_v1.load(dst).params, converted.params)
