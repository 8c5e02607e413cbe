# The two entry points of the README: `make demo` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV ?= .venv
CORES ?= 2
BIN := $(VENV)/bin
# torch is installed before the package so that the project's open `torch>=2.1` keeps it: where
# pip's find-links holds the CPU wheel of 2.13.0 (CI, this project's machines) that wheel is taken,
# elsewhere PyPI's default (CUDA) build. Override, e.g. TORCH_SPEC="torch==2.13.0+cu126".
TORCH_SPEC ?= torch==2.13.0
DEBIAN_TOOLS := bcftools samtools tabix chromium slurm-wlm munge

.PHONY: setup demo report test lint system-deps clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet "$(TORCH_SPEC)"
	$(BIN)/pip install --quiet -e ".[workflow,test]"
	touch $@

demo: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/snakemake --cores $(CORES)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/snakemake --cores $(CORES) --report report.html
	@$(BIN)/python -c 'import sys; from pexbench.summary import summary_text; print(summary_text(sys.argv[1]), end="")' results/evaluation/summary.json
	@echo "report: $(CURDIR)/report.html"

# Debian tools the tests use as oracles and harnesses (per-process baseline, browser, SLURM).
system-deps:
	@missing=""; for t in bcftools samtools chromium slurmctld munged; do \
	  command -v $$t >/dev/null 2>&1 || [ -x /usr/sbin/$$t ] || missing="$$missing $$t"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEBIAN_TOOLS) >/dev/null; \
	  else echo "missing:$$missing (tests needing them skip); install: apt-get install $(DEBIAN_TOOLS)"; fi; \
	fi

test: setup system-deps
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/snakefmt --check . \
	  && $(BIN)/snakemake --lint --cores 1

clean:
	rm -rf results logs benchmarks .snakemake report.html
