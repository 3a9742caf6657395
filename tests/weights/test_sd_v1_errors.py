"""Files that are not SD v1.x checkpoints give one clear line, not a
traceback: a renamed text file, a truncated download, missing tensors."""

import numpy as np
import pytest
from safetensors import numpy as safetensors_numpy

from jaxvision import main
from jaxvision.weights import sd_v1
from jaxvision.weights import torch_to_flax

GIVE = r"give a SD v1\.x \.ckpt/\.safetensors or a diffusers folder"


def _truncated(path):
  safetensors_numpy.save_file({"w": np.ones((64, 64), np.float32)}, str(path))
  data = path.read_bytes()
  path.write_bytes(data[: len(data) // 2])
  return path


def test_renamed_text_file_is_not_safetensors(tmp_path):
  path = tmp_path / "notes.safetensors"
  path.write_text("these are my notes, not weights\n" * 10)
  with pytest.raises(
      torch_to_flax.NotSafetensorsError,
      match=r"not a safetensors file.*notes\.safetensors.*" + GIVE,
  ):
    sd_v1.convert(path)


def test_truncated_safetensors(tmp_path):
  path = _truncated(tmp_path / "v1-5.safetensors")
  with pytest.raises(
      torch_to_flax.NotSafetensorsError,
      match=r"truncated.*v1-5\.safetensors.*" + GIVE,
  ):
    sd_v1.convert(path)


def test_truncated_converted_params_say_to_convert_again(tmp_path):
  path = _truncated(tmp_path / "unet.safetensors")
  with pytest.raises(
      torch_to_flax.NotSafetensorsError,
      match=r"unet\.safetensors.*convert sd-v1",
  ):
    torch_to_flax.load_tree(path)


def test_file_without_the_unet_input_conv(tmp_path):
  path = tmp_path / "partial.safetensors"
  safetensors_numpy.save_file(
      {
          "model.diffusion_model.time_embed.0.weight": np.ones((4, 2), "f4"),
          "first_stage_model.encoder.conv_in.weight": np.ones(
              (4, 3, 3, 3), "f4"
          ),
          "cond_stage_model.transformer.text_model.embeddings.token_embedding."
          "weight": np.ones((8, 4), "f4"),
      },
      str(path),
  )
  with pytest.raises(
      torch_to_flax.WeightsMismatchError,
      match=r"no tensor model\.diffusion_model\.input_blocks\."
      r"0\.0\.weight \(.*partial\.safetensors\); " + GIVE,
  ):
    sd_v1.convert(path)


def test_cli_reports_one_line(tmp_path, capsys):
  path = tmp_path / "notes.safetensors"
  path.write_text("not weights")
  assert (
      main.main(
          [
              "convert",
              "sd-v1",
              "--src",
              str(path),
              "--dst",
              str(tmp_path / "out"),
          ]
      )
      == 2
  )
  err = capsys.readouterr().err.strip()
  assert len(err.splitlines()) == 1 and "not a safetensors file" in err, err
