"""Tests for jaxvision.data.image_text on tiny fake copies of the real on-disk layouts."""

import gzip
import io
import json
import pathlib
import pickle
import tarfile

import grain
import numpy as np
import PIL.Image
import pytest

from jaxvision.data import image_text


def _jpeg(path: pathlib.Path, colour: tuple[int, int, int]) -> bytes:
  path.parent.mkdir(parents=True, exist_ok=True)
  PIL.Image.new('RGB', (8, 6), colour).save(path, format='JPEG', quality=95)
  return path.read_bytes()


def _decoded_colour(data: bytes) -> np.ndarray:
  return np.asarray(PIL.Image.open(io.BytesIO(data)).convert('RGB'))[3, 4]


def _entry(filename, split, captions, filepath=None):
  entry = {
      'filename': filename,
      'split': split,
      'sentences': [{'raw': c, 'tokens': c.split()} for c in captions],
  }
  if filepath:
    entry['filepath'] = filepath
  return entry


@pytest.fixture
def coco_root(tmp_path):
  images = [
      _entry(
          'COCO_val2014_1.jpg',
          'test',
          ['A red square. ', 'a RED box'],
          'val2014',
      ),
      _entry('COCO_val2014_2.jpg', 'val', ['green'], 'val2014'),
      _entry('COCO_train2014_3.jpg', 'train', ['blue one'], 'train2014'),
      _entry('COCO_val2014_4.jpg', 'restval', ['white one'], 'val2014'),
      _entry(
          'COCO_val2014_5.jpg', 'test', ['black', 'dark', 'night'], 'val2014'
      ),
  ]
  colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255), (0, 0, 0)]
  for entry, colour in zip(images, colours):
    _jpeg(tmp_path / entry['filepath'] / entry['filename'], colour)
  (tmp_path / 'dataset_coco.json').write_text(
      json.dumps({'images': images, 'dataset': 'coco'})
  )
  return tmp_path


def test_coco_karpathy_splits_captions_and_bytes(coco_root):
  test = image_text.coco_karpathy(coco_root, 'test')
  assert len(test) == 2 and test.num_captions == 5
  first = test[0]
  assert set(first) == {'image', 'captions'}
  assert first['captions'] == ['A red square.', 'a RED box']
  assert (
      first['image']
      == (coco_root / 'val2014' / 'COCO_val2014_1.jpg').read_bytes()
  )
  np.testing.assert_allclose(
      _decoded_colour(first['image']), [255, 0, 0], atol=3
  )
  assert test[1]['captions'] == ['black', 'dark', 'night']
  train = image_text.coco_karpathy(coco_root, ('train', 'restval'))
  assert [ex['captions'] for ex in (train[0], train[1])] == [
      ['blue one'],
      ['white one'],
  ]
  np.testing.assert_allclose(
      _decoded_colour(train[0]['image']), [0, 0, 255], atol=3
  )


def test_coco_karpathy_errors(coco_root, tmp_path_factory):
  with pytest.raises(ValueError, match="Did you mean 'test'"):
    image_text.coco_karpathy(coco_root, 'tset')
  with pytest.raises(FileNotFoundError, match='dataset_coco.json'):
    image_text.coco_karpathy(tmp_path_factory.mktemp('empty'))
  (coco_root / 'val2014' / 'COCO_val2014_5.jpg').unlink()
  with pytest.raises(FileNotFoundError, match='val2014/COCO_val2014_\\*.jpg'):
    image_text.coco_karpathy(coco_root, 'test')[1]


def test_flickr30k_karpathy(tmp_path):
  images = [
      _entry('1000.jpg', 'test', ['a dog', 'two dogs']),
      _entry('1001.jpg', 'train', ['a cat']),
      _entry('1002.jpg', 'test', ['a bird']),
  ]
  _jpeg(tmp_path / 'flickr30k-images' / '1000.jpg', (10, 200, 30))
  _jpeg(tmp_path / 'flickr30k-images' / '1001.jpg', (0, 0, 0))
  (tmp_path / 'dataset_flickr30k.json').write_text(
      json.dumps({'images': images})
  )
  test = image_text.flickr30k_karpathy(tmp_path)
  assert len(test) == 2 and test.num_captions == 3
  assert test[0]['captions'] == ['a dog', 'two dogs']
  np.testing.assert_allclose(
      _decoded_colour(test[0]['image']), [10, 200, 30], atol=4
  )
  with pytest.raises(
      FileNotFoundError, match='flickr30k-images/<image id>.jpg'
  ):
    test[1]  # 1002.jpg was never written.
  with pytest.raises(
      ValueError, match=r"is empty; the file has splits \['test', 'train'\]"
  ):
    image_text.flickr30k_karpathy(tmp_path, 'restval')


@pytest.fixture
def folder_root(tmp_path):
  root = tmp_path / 'imagenet-r'
  _jpeg(root / 'n0001' / 'b.JPEG', (0, 255, 0))
  _jpeg(root / 'n0001' / 'a.jpeg', (255, 0, 0))
  _jpeg(root / 'n0003' / 'c.JPEG', (0, 0, 255))
  (root / 'n0003' / 'README.txt').write_text('not an image')
  return root


def test_image_folder_sorted_labels(folder_root):
  source = image_text.ImageFolder(folder_root)
  assert len(source) == 3 and source.classes == ['n0001', 'n0003']
  examples = [source[i] for i in range(3)]
  assert [int(ex['label']) for ex in examples] == [0, 0, 1]
  assert examples[0]['label'].dtype == np.int32
  np.testing.assert_allclose(
      _decoded_colour(examples[0]['image']), [255, 0, 0], atol=3
  )  # a.jpeg sorts first.
  np.testing.assert_array_equal(source.class_subset, [0, 1])


def test_image_folder_class_index_file_maps_to_full_space(
    folder_root, tmp_path
):
  mapping = tmp_path / 'LOC_synset_mapping.txt'
  mapping.write_text(
      'n0000 tench, Tinca tinca\nn0001 goldfish\nn0002 shark\nn0003 ray\n'
  )
  source = image_text.ImageFolder(folder_root, class_index_file=mapping)
  assert [int(source[i]['label']) for i in range(3)] == [1, 1, 3]
  np.testing.assert_array_equal(source.class_subset, [1, 3])
  mapping.write_text('n0000\nn0001\n')
  with pytest.raises(ValueError, match=r"\['n0003'\] .* not listed"):
    image_text.ImageFolder(folder_root, class_index_file=mapping)
  mapping.write_text('n0001\nn0003\nn0001\n')
  with pytest.raises(ValueError, match='more than once'):
    image_text.ImageFolder(folder_root, class_index_file=mapping)


def test_image_folder_errors(tmp_path):
  with pytest.raises(FileNotFoundError, match='<class name or wnid>'):
    image_text.ImageFolder(tmp_path / 'missing')
  (tmp_path / 'only_files').mkdir()
  with pytest.raises(ValueError, match='no class sub-folders'):
    image_text.ImageFolder(tmp_path / 'only_files')


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
  info = tarfile.TarInfo(name)
  info.size = len(data)
  tar.addfile(info, io.BytesIO(data))


@pytest.fixture
def shards(tmp_path):
  red = _jpeg(tmp_path / 'src' / 'red.jpg', (255, 0, 0))
  blue = _jpeg(tmp_path / 'src' / 'blue.jpg', (0, 0, 255))
  with tarfile.open(tmp_path / 'shard-000001.tar', 'w') as tar:
    _add(tar, 'b/0002.jpg', blue)
    _add(tar, 'b/0002.txt', 'a blue square\n'.encode())
    _add(tar, 'b/0002.json', b'{}')
  with tarfile.open(tmp_path / 'shard-000000.tar', 'w') as tar:
    _add(tar, '0000.txt', 'un carré rouge'.encode())
    _add(tar, '0000.jpg', red)
    _add(tar, '0001.jpg', blue)
    _add(tar, '0001.txt', b'blue again')
  return tmp_path, red, blue


def test_tar_shards_random_access(shards):
  root, red, blue = shards
  source = image_text.TarShards(str(root / 'shard-*.tar'))
  assert len(source) == 3 and source.num_skipped == 0
  # Shards sorted by path, samples in tar order; members may come in any order within a sample.
  assert source[2] == {'image': blue, 'caption': 'a blue square'}
  assert source[0] == {'image': red, 'caption': 'un carré rouge'}
  assert source[1]['caption'] == 'blue again'
  # Directory input and pickling (grain workers) give the same samples.
  clone = pickle.loads(pickle.dumps(image_text.TarShards(root)))
  assert [clone[i] for i in range(3)] == [source[i] for i in range(3)]
  dataset = grain.MapDataset.source(source).map(lambda ex: ex['caption'])
  assert list(dataset) == ['un carré rouge', 'blue again', 'a blue square']


def test_tar_shards_errors(shards):
  root, red, _ = shards
  with tarfile.open(root / 'shard-000002.tar', 'w') as tar:
    _add(tar, 'lonely.jpg', red)
  with pytest.raises(
      ValueError, match=r"lack an image or a .txt caption \(keys \['lonely'\]\)"
  ):
    image_text.TarShards(root)
  source = image_text.TarShards(root, skip_incomplete=True)
  assert len(source) == 3 and source.num_skipped == 1
  with pytest.raises(FileNotFoundError, match='No tar shards match'):
    image_text.TarShards(str(root / 'nothing-*.tar'))
  compressed = root / 'gz' / 'shard.tar'
  compressed.parent.mkdir()
  compressed.write_bytes(
      gzip.compress((root / 'shard-000000.tar').read_bytes())
  )
  with pytest.raises(ValueError, match='not a readable uncompressed tar'):
    image_text.TarShards(compressed)


def test_karpathy_source_with_grain(coco_root):
  dataset = grain.MapDataset.source(
      image_text.coco_karpathy(coco_root, 'test')
  ).map(lambda ex: len(ex['captions']))
  assert list(dataset) == [2, 3]
