# `make demo` and `make test` set up everything they need: the Debian data packages
# (scripts/setup_system.sh installs them as root, or stops naming the command to run)
# and .venv with the package and its test dependencies.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_DIR ?= runs/demo

.PHONY: demo test bench clean system

# Checked first on every `make demo` and `make test`: one dpkg query when nothing is missing.
system:
	scripts/setup_system.sh

# A .venv made when keras-margin depended on tensorflow-cpu still has that wheel, which
# writes the same `tensorflow` module as `tensorflow`: both go, and `tensorflow` comes
# back whole with the install.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	if $(BIN)/python -m pip show --quiet tensorflow-cpu 2>/dev/null; then \
		$(BIN)/python -m pip uninstall --quiet --yes tensorflow-cpu tensorflow; fi
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

demo: system $(STAMP)
	$(BIN)/keras-margin compare --preset quick --output $(DEMO_DIR)

test: system $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist loadfile tests

bench: $(STAMP)
	$(BIN)/python benchmarks/heads.py

clean:
	rm -rf $(VENV) runs .pytest_cache
