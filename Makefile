# The two commands a newcomer needs: `make demo` and `make test`. Both create .venv on first use.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: demo test venv bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e '.[test]'
	# basic-pitch's ONNX note model for the dnn tests; --no-deps: its metadata pulls TensorFlow 2.15 (numpy<2)
	$(BIN)/pip install -q --no-deps basic-pitch==0.4.0
	touch $@

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/whytag demo --out whytag-demo

test: $(STAMP)
	bash tests/system-deps.sh
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python bench/gtzan_rules.py

clean:
	rm -rf $(VENV) whytag-demo .pytest_cache
