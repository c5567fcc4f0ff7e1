# The two commands a newcomer needs: `make demo` and `make test`. Both create .venv on first use.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HASH := $(shell cat pyproject.toml Makefile | sha1sum | cut -c1-12)
CORE := $(VENV)/.core-$(HASH)
TESTING := $(VENV)/.test-$(HASH)

.PHONY: demo test bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(CORE): $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e .
	touch $@

$(TESTING): $(CORE)
	$(BIN)/pip install -q -e '.[test]'
	# basic-pitch's ONNX note model for the dnn tests; --no-deps: its metadata pulls TensorFlow 2.15 (numpy<2)
	$(BIN)/pip install -q --no-deps basic-pitch==0.4.0
	touch $@

demo: $(CORE)
	$(BIN)/whytag demo --out whytag-demo

test: $(TESTING)
	bash tests/system-deps.sh
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

bench: $(TESTING)
	$(BIN)/python bench/gtzan_rules.py
	$(BIN)/python bench/jamendo_rules.py --cv
	$(BIN)/python bench/tagging.py
	$(BIN)/python bench/scale.py --sizes 10000 100000
	bash tests/system-deps.sh
	$(BIN)/python bench/extract.py

clean:
	rm -rf $(VENV) whytag-demo .pytest_cache
