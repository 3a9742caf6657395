# Two commands set up and run everything on a fresh machine (Python >= 3.10):
#   make demo   - install, then RECLIP smoke training (low-res -> high-res) on the
#                 built-in synthetic dataset, printing held-out zero-shot/retrieval.
#   make test   - install (with the test and parity extras), then the test suite
#                 (what CI runs).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
WORKDIR ?= workdirs/reclip_smoke

.PHONY: venv test-venv browser demo test format test-extended clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e .
	touch $@

# NOTE: the parity extra pins torch==2.13.0, the CPU build on these machines;
# torch is installed first so no other package pulls a CUDA build. The tpu
# extra (libtpu) lets the AOT tests compile for TPU topologies without a TPU.
test-venv: $(VENV)/.installed-test browser

# Headless Chromium (Debian package) renders report.html in its test.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  apt-get install -y -q chromium >/dev/null 2>&1 || \
	  (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null 2>&1) || \
	  echo "warning: could not install chromium (apt-get install chromium); tests/test_report.py needs it"

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[test,parity,tpu]'
	touch $(VENV)/.installed $@

demo: venv
	rm -rf $(WORKDIR)
	$(PY) -m jaxvision.main train --config configs/reclip/smoke.py --workdir $(WORKDIR)
	$(PY) -m jaxvision.main report --workdir $(WORKDIR)
	@echo "note: the smoke model learns colour, position, size and fill (stripes only at 32 px); shape stays at chance (~0.25): README 'What the demo learns'"

# Two pytest workers (one per core of a 2-core CI machine): most tests are
# dominated by single-threaded XLA compilation, so two run side by side.
# Files stay whole on one worker (module fixtures are built once);
# tests/conftest.py hands them out longest first and gives both workers (and
# the CLI subprocesses) one JAX compilation cache for the run. --durations=25
# prints the 25 slowest tests.
PYTEST_WORKERS ?= 2

FORMATTED := jaxvision configs tests benchmarks launch

test: test-venv
	$(PY) -m pyink --check --quiet $(FORMATTED) || \
	  (echo "error: code is not pyink-formatted; run make format" && exit 1)
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) --dist loadfile tests --durations=25

format: test-venv
	$(PY) -m pyink --quiet $(FORMATTED)

# Per-method 1-vs-8-device and resume checks and ablation runs (about as long
# again as the default suite); the engine's own versions run in `make test`.
test-extended: test-venv
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) --dist loadfile -m extended tests

clean:
	rm -rf $(VENV) workdirs
