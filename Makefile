# Two commands set up and run everything on a fresh machine (Python >= 3.10):
#   make demo   - install, then RECLIP smoke training (low-res -> high-res) on the
#                 built-in synthetic dataset, printing held-out zero-shot/retrieval.
#   make test   - install, then the test suite (what CI runs).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
WORKDIR ?= workdirs/reclip_smoke

.PHONY: venv demo test clean

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

demo: venv
	rm -rf $(WORKDIR)
	$(PY) -m jaxvision.main train --config configs/reclip/smoke.py --workdir $(WORKDIR)

test: venv
	$(PY) -m pytest -q tests

clean:
	rm -rf $(VENV) workdirs
