"""Local violence datasets: layouts, labels, frame folders and video files."""

import os

import numpy as np
from PIL import Image
import pytest

from jaxvision.data import pp
from jaxvision.data import video_datasets


def _frame_folder(path, num_frames, size=(12, 16)):
  os.makedirs(path)
  for t in range(num_frames):
    frame = np.full((*size, 3), 10 * t, np.uint8)
    Image.fromarray(frame).save(os.path.join(path, f"{t:04d}.png"))


def _video(path, num_frames, size=(32, 48)):
  av = pytest.importorskip("av")
  os.makedirs(os.path.dirname(path), exist_ok=True)
  with av.open(path, "w") as container:
    stream = container.add_stream("mpeg4", rate=25)
    stream.height, stream.width = size
    stream.pix_fmt = "yuv420p"
    for t in range(num_frames):
      frame = np.full((*size, 3), 20 * t, np.uint8)
      for packet in stream.encode(
          av.VideoFrame.from_ndarray(frame, format="rgb24")
      ):
        container.mux(packet)
    for packet in stream.encode():
      container.mux(packet)


def test_hockey_frame_folders(tmp_path):
  _frame_folder(tmp_path / "fi1_xvid", 5)
  _frame_folder(tmp_path / "no1_xvid", 3)
  clips = video_datasets.list_clips("hockey", str(tmp_path))
  assert [(c.video_id, c.label) for c in clips] == [
      ("fi1_xvid", 1),
      ("no1_xvid", 0),
  ]
  source = video_datasets.ClipSource(clips, num_frames=4)
  fight, calm = source[0], source[1]
  assert fight["frames"].shape == (4, 12, 16, 3) and fight["label"] == 1
  # Evenly spaced indices (0, 1, 3, 4) of 5 frames; 3 frames repeat one.
  np.testing.assert_array_equal(fight["frames"][:, 0, 0, 0], [0, 10, 30, 40])
  np.testing.assert_array_equal(calm["frames"][:, 0, 0, 0], [0, 10, 10, 20])


def test_movies_and_violent_flows_video_files(tmp_path):
  _video(str(tmp_path / "movies" / "fights" / "newfi1.avi"), 6)
  _video(str(tmp_path / "movies" / "noFights" / "1.avi"), 6)
  clips = video_datasets.list_clips("movies", str(tmp_path / "movies"))
  assert [c.label for c in clips] == [1, 0]
  frames = video_datasets.read_clip(clips[0].path, 3)
  assert frames.shape == (3, 32, 48, 3) and frames.dtype == np.uint8
  # Frames 0, 2/3 and 5 of a brightness ramp (codec loss allowed).
  assert np.all(np.diff(frames.reshape(3, -1).mean(1)) > 20)
  _video(str(tmp_path / "vf" / "2" / "Violence" / "a.mp4"), 2)
  _frame_folder(tmp_path / "vf" / "2" / "NonViolence" / "b", 2)
  vf = video_datasets.list_clips("violent_flows", str(tmp_path / "vf"))
  assert [(c.label, c.official_fold) for c in vf] == [(0, 2), (1, 2)]


def test_errors_name_the_fix(tmp_path):
  with pytest.raises(FileNotFoundError, match="fi1_xvid.avi"):
    video_datasets.list_clips("hockey", str(tmp_path / "missing"))
  with pytest.raises(FileNotFoundError, match="NonViolence"):
    video_datasets.list_clips("violent_flows", str(tmp_path))
  with pytest.raises(ValueError, match="hockey"):
    video_datasets.list_clips("hocky", str(tmp_path))
  bad = tmp_path / "fi2.avi"
  bad.write_bytes(b"not a video")
  clip = video_datasets.list_clips("hockey", str(tmp_path))[0]
  with pytest.raises(pp.CorruptRecordError, match="fi2.avi"):
    video_datasets.ClipSource([clip], 4)[0]
