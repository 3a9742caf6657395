r"""Synthetic dataset build time vs rendering the same examples, as a ratio.

The tests only check what a build produces; how long it takes is measured
here, because an absolute time on a shared machine says little. Arms:
  * build: `synthetic.build` of a fresh member (render + encode + write the
    array_record files + dataset info), in a new directory each call;
  * render: the builder's own example generation for the same split sizes,
    written nowhere.
The ratio build / render is the cost of the TFDS writing on top of the
rendering (our run at the default sizes on 2 CPU cores: 3.4 s / 1.0 s =
3.4). Protocol as benchmarks/reclip_step.py: warm up, alternate the arms for
`--rounds` rounds, report min and median per arm and the median ratio.

  python -m benchmarks.synthetic_build --rounds 5              # small sizes
  python -m benchmarks.synthetic_build --num_train 20000 --num_test 1000 \
      --rounds 3                                               # the defaults

Prints `name=value` lines and writes a JSON (with versions) to --out.
"""

import argparse
import itertools
import sys
import tempfile

from benchmarks import timing
from jaxvision.data import synthetic


def _arms(name: str, num_train: int, num_test: int, root: str):
  """{arm: run()}: a fresh build, and the same examples only generated."""
  sizes = {"train": num_train, "test": num_test}
  counter = itertools.count()

  def build():
    synthetic.build(
        name, f"{root}/{next(counter)}", num_train=num_train, num_test=num_test
    )

  def render():
    builder = synthetic.builder_class(name)(
        split_sizes=sizes, data_dir=f"{root}/unused"
    )
    for split, num in sizes.items():
      # pylint: disable-next=protected-access
      for _ in builder._generate_examples(split, num):
        pass

  return {"build": build, "render": render}


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument(
      "--dataset", default="shapes_captions", choices=sorted(synthetic.BUILDERS)
  )
  parser.add_argument("--num_train", type=int, default=2000)
  parser.add_argument("--num_test", type=int, default=200)
  parser.add_argument("--rounds", type=int, default=5)
  parser.add_argument("--warmup", type=int, default=1)
  parser.add_argument("--out", default="synthetic_build.json")
  args = parser.parse_args(argv)
  with tempfile.TemporaryDirectory() as root:
    times = timing.alternate(
        _arms(args.dataset, args.num_train, args.num_test, root),
        args.rounds,
        warmup=args.warmup,
    )
  arms = timing.summarize(times)
  result = {
      "dataset": args.dataset,
      "num_train": args.num_train,
      "num_test": args.num_test,
      **timing.environment(),
      "arms": arms,
  }
  ratio = arms["build"]["median_s"] / arms["render"]["median_s"]
  result["build_over_render"] = ratio
  print(f"build_over_render={ratio:.3f}")
  timing.write(result, args.out)
  return 0


if __name__ == "__main__":
  sys.exit(main())
