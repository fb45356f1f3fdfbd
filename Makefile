# The two set-up commands: `make demo` and `make test`. Each builds .venv from the
# project's own files when it is missing or out of date.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.kickgen-installed

.PHONY: demo test bench lint clean

$(STAMP): pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	# torch's CPU build lies on this machine's disk; pinning it keeps pip from a CUDA build.
	$(PY) -m pip install torch==2.13.0 "setuptools>=68,<81" wheel "cython>=0.29" "numpy>=1.24"
	# madmom 0.16.1 builds only against the already-installed Cython and numpy (DESIGN §2).
	$(PY) -m pip install --no-build-isolation madmom==0.16.1
	$(PY) -m pip install --no-build-isolation -e ".[train,dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m kickgen.engine.demo

# pytest exits 5 when it collects no tests; that fails here like any other failure.
test: $(STAMP)
	$(PY) -m pytest -q; status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: pytest collected no tests" >&2; fi; \
	exit $$status

bench: $(STAMP)
	$(PY) benchmarks/train_throughput.py
	$(PY) benchmarks/feature_extraction.py
	$(PY) benchmarks/decoder_latency.py

lint: $(STAMP)
	$(VENV)/bin/ruff check engine export tests benchmarks

clean:
	rm -rf $(VENV) build *.egg-info
