"""Dataset registries: an unknown name is one input error with the closest.

Every method's data module looks its configured dataset up in an explicit
dict; a misspelled name must fail before anything is read, naming the config
key, the closest known name and every known one (exit 2 at the CLI).
"""

import ml_collections
import pytest

from jaxvision import user_errors
from jaxvision.data import registry
from jaxvision.methods.akd import data as akd_data
from jaxvision.methods.emfa import data as emfa_data
from jaxvision.methods.ldm import data as ldm_data
from jaxvision.methods.ldznet import data as ldznet_data
from jaxvision.methods.lmr import data as lmr_data
from jaxvision.methods.monoindoor import data as monoindoor_data
from jaxvision.methods.reclip import data as reclip_data
from jaxvision.methods.sharingan import data as sharingan_data
from jaxvision.methods.vae_attention import data as vae_data
from jaxvision.methods.violence import data as violence_data


def test_lookup_returns_the_registered_builder():
  assert registry.lookup({"a": 1, "b": 2}, "b", "config.data.name") == 2


def test_unknown_name_names_key_closest_and_known():
  with pytest.raises(user_errors.UnknownNameError) as info:
    registry.lookup(
        {"celeba_folder": 1, "rafd": 2}, "celeba_foldr", "config.data.name"
    )
  assert str(info.value) == (
      "unknown dataset 'celeba_foldr' (config.data.name); did you mean "
      "'celeba_folder'? Known: celeba_folder, rafd"
  )
  # An input error (exit 2, one line) that old `except ValueError` still see.
  assert isinstance(info.value, user_errors.InputError)
  assert isinstance(info.value, ValueError)


def test_no_suggestion_when_nothing_is_close():
  with pytest.raises(user_errors.UnknownNameError) as info:
    registry.lookup(
        {"tfds": 1, "tar": 2}, "zzzzzz", "config.data.kind", what="source kind"
    )
  assert str(info.value) == (
      "unknown source kind 'zzzzzz' " "(config.data.kind); Known: tar, tfds"
  )


def _cfg(**data):
  return ml_collections.ConfigDict(data)


# (call with a misspelled name, the name it should suggest)
CASES = {
    "akd": (
        lambda: akd_data.open_source(
            _cfg(name="celeba_foldr", attrs=["Blond_Hair"]), "train"
        ),
        "celeba_folder",
    ),
    "emfa": (
        lambda: emfa_data.open_split(
            ml_collections.ConfigDict({"data": {"kind": "socer"}}), "train"
        ),
        "soccer",
    ),
    "ldm": (lambda: ldm_data.load(_cfg(kind="manifst"), 16), "manifest"),
    "ldznet": (
        lambda: ldznet_data.train_source(_cfg(name="phrasecutt")),
        "phrasecut",
    ),
    "lmr": (
        lambda: lmr_data.sequences(
            ml_collections.ConfigDict({"data": {"kind": "locall"}}), "train"
        ),
        "local",
    ),
    "monoindoor": (
        lambda: monoindoor_data._train_source(  # pylint: disable=protected-access
            ml_collections.ConfigDict({"data": {"kind": "nyu_rw"}})
        ),
        "nyu_raw",
    ),
    "reclip": (
        lambda: reclip_data.open_source(_cfg(kind="tars"), "train"),
        "tar",
    ),
    "sharingan": (
        lambda: sharingan_data.domain_sources(_cfg(name="vkitti_kiti")),
        "vkitti_kitti",
    ),
    "vae_attention": (
        lambda: vae_data.train_source(_cfg(name="mvtech")),
        "mvtec",
    ),
    "violence": (
        lambda: violence_data._dataset(  # pylint: disable=protected-access
            _cfg(name="hockey_")
        ),
        "hockey",
    ),
}


@pytest.mark.parametrize("method", sorted(CASES))
def test_every_method_suggests_its_closest_dataset(method):
  call, closest = CASES[method]
  with pytest.raises(
      user_errors.UnknownNameError, match=f"did you mean '{closest}'"
  ):
    call()
