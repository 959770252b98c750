# MHC Control Panel. `make run` sets up and starts everything locally; `make test` proves it.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: help install run migrate test lint typecheck pytest bench clean fuzz

help:
	@echo "make run            install, build the UI, write .env on the first run (mhc init), start the"
	@echo "                    embedded PostgreSQL, migrate, serve http://127.0.0.1:8080"
	@echo "make test           install what the tests need; lint, type checks, UI tests and the whole suite"
	@echo "make frontend       build the UI (frontend/dist) when its sources changed"
	@echo "make frontend-test  UI type check and Vitest"
	@echo "make api-types      regenerate the UI's API types from the API (after changing the API)"
	@echo "make e2e            browser walk of the owner's flows (Debian chromium + Playwright)"
	@echo "make bench          run the store benchmark (see bench/ for the others)"
	@echo "make fuzz           fuzz the API (schemathesis, every phase and stateful links) with a large budget"
	@echo "make infra-check    sam validate --lint and cfn-lint, offline"
	@echo "make build / deploy / deploy-frontend   AWS (docs/deploy.md)"
	@echo "make clean          remove the virtualenv and caches (keeps .mhc/ data)"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	@rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

# First run: `mhc init` asks for the owner (on a terminal) and writes .env with a new API token.
run: install frontend
	@test -f .env || $(BIN)/mhc init
	$(BIN)/mhc migrate
	$(BIN)/mhc run

migrate: install
	$(BIN)/mhc migrate

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy
	@# Every function's module is app.py, so each handler is checked on its own.
	for f in functions/*/app.py; do $(BIN)/mypy "$$f" || exit 1; done

pytest: install sam-tools frontend chromium
	$(BIN)/pytest

test: lint typecheck frontend-test api-types-check pytest

bench: install
	$(BIN)/python bench/store_bench.py

# The API under schemathesis with a far larger budget than `make test` runs (every phase, chains
# along the OpenAPI links, hostile values in every parameter); prints the number of requests.
FUZZ_EXAMPLES ?= 200
FUZZ_SCENARIOS ?= 300
FUZZ_STEPS ?= 20
fuzz: install
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_SCENARIOS=$(FUZZ_SCENARIOS) FUZZ_STEPS=$(FUZZ_STEPS) \
	  $(BIN)/pytest tests/api/test_openapi_properties.py -q -p no:cacheprovider

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# ---------------------------------------------------------------- web UI (frontend/)
# `frontend` runs npm ci when the lock file changed and rebuilds dist/ when any source is newer
# than the last build. `chromium` installs Debian's browser for tests/e2e (never a downloaded
# one). `e2e` drives it against `mhc run` on a seeded database.
NPM ?= npm
FRONTEND_DEPS := frontend/node_modules/.package-lock.json
FRONTEND_SRC := $(shell find frontend/src frontend/scripts -type f 2>/dev/null) \
	frontend/index.html frontend/package.json frontend/package-lock.json \
	frontend/vite.config.ts frontend/tsconfig.json
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: frontend frontend-test chromium e2e

$(FRONTEND_DEPS): frontend/package-lock.json
	cd frontend && $(NPM) ci --no-audit --no-fund
	@touch $@

frontend/dist/index.html: $(FRONTEND_DEPS) $(FRONTEND_SRC)
	cd frontend && $(NPM) run build
	@touch $@

frontend: frontend/dist/index.html

frontend-test: $(FRONTEND_DEPS)
	cd frontend && $(NPM) run typecheck && $(NPM) test

chromium:
	@test -x /usr/bin/chromium || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q --no-install-recommends chromium; }

e2e: install frontend chromium
	$(BIN)/pytest tests/e2e

# The UI's API types are generated from the API's OpenAPI document (decision 70): `api-types`
# writes frontend/src/api/openapi.json from create_app() and schema.d.ts from it with
# openapi-typescript (its own package: it needs TypeScript 5's compiler API, the UI builds with
# TypeScript 7); `api-types-check` fails when either committed file is out of date.
API_TYPES_TOOL := frontend/tools/api-types
API_TYPES_DEPS := $(API_TYPES_TOOL)/node_modules/.package-lock.json
OPENAPI_JSON := frontend/src/api/openapi.json
SCHEMA_TS := frontend/src/api/schema.d.ts

.PHONY: api-types api-types-check

$(API_TYPES_DEPS): $(API_TYPES_TOOL)/package-lock.json
	cd $(API_TYPES_TOOL) && $(NPM) ci --no-audit --no-fund
	@touch $@

api-types: install $(API_TYPES_DEPS)
	$(BIN)/python -m mhc.api.openapi_document $(OPENAPI_JSON)
	$(API_TYPES_TOOL)/node_modules/.bin/openapi-typescript $(OPENAPI_JSON) --output $(SCHEMA_TS)

api-types-check: install $(API_TYPES_DEPS)
	$(BIN)/python -m mhc.api.openapi_document --check $(OPENAPI_JSON)
	$(API_TYPES_TOOL)/node_modules/.bin/openapi-typescript $(OPENAPI_JSON) --output $(SCHEMA_TS) --check

# ---------------------------------------------------------------- AWS (SAM): docs/deploy.md
# SAM CLI and cfn-lint live in their own virtualenv (their pins would fight the app's), built
# from Python 3.12 (the Lambda runtime). `sam-tools` also fills a wheelhouse with the layer's
# wheels for arm64 (deployed) and x86_64 (local import checks), so builds and tests run offline.
PY312 ?= $(firstword $(wildcard /root/.pyenv/versions/3.12*/bin/python3.12) $(shell command -v python3.12 2>/dev/null))
SAM_VENV := .venv-sam
SAM_BIN := $(SAM_VENV)/bin
SAM_CLI_VERSION := 1.170.0
CFN_LINT_VERSION := 1.58.0
WHEELHOUSE := $(SAM_VENV)/wheelhouse
SAM_STAMP := $(SAM_VENV)/.installed-$(SAM_CLI_VERSION)-$(CFN_LINT_VERSION)-$(shell sha1sum layers/common/requirements.txt | cut -c1-12)
LINT_REGION := us-east-1
ENV ?= default
STACK ?= $(if $(filter prod,$(ENV)),mhc-prod,mhc-dev)
SAM_ENV = SAM_CLI_TELEMETRY=0 PATH="$(dir $(PY312)):$$PATH" PIP_NO_INDEX=1 PIP_FIND_LINKS="$(abspath $(WHEELHOUSE))"
stack_output = $$(aws cloudformation describe-stacks --stack-name $(STACK) --query "Stacks[0].Outputs[?OutputKey=='$(1)'].OutputValue" --output text)

.PHONY: sam-tools infra-check build deploy migrate-aws deploy-frontend

$(SAM_STAMP): layers/common/requirements.txt
	@test -n "$(PY312)" || { echo "Python 3.12 is required (the Lambda runtime); set PY312=/path/to/python3.12"; exit 1; }
	@test -x $(SAM_BIN)/python || $(PY312) -m venv $(SAM_VENV)
	$(SAM_BIN)/python -m pip install --quiet --disable-pip-version-check "aws-sam-cli==$(SAM_CLI_VERSION)" "cfn-lint==$(CFN_LINT_VERSION)"
	rm -rf $(WHEELHOUSE)
	for arch in aarch64 x86_64; do \
	  $(SAM_BIN)/python -m pip download --quiet --disable-pip-version-check -r layers/common/requirements.txt \
	    --dest $(WHEELHOUSE) --only-binary=:all: --python-version 3.12 --implementation cp \
	    --platform manylinux2014_$$arch --platform manylinux_2_28_$$arch || exit 1; \
	done
	@rm -f $(SAM_VENV)/.installed-* && touch $@

sam-tools: $(SAM_STAMP)

infra-check: sam-tools
	SAM_CLI_TELEMETRY=0 $(SAM_BIN)/sam validate --lint --region $(LINT_REGION)
	$(SAM_BIN)/cfn-lint --regions $(LINT_REGION) -- template.yaml

build: sam-tools
	$(SAM_ENV) $(SAM_BIN)/sam build
	$(PY312) -m compileall -q --invalidation-mode unchecked-hash .aws-sam/build

# ENV=prod for the prod environment of samconfig.toml. Migrations run right after the deploy.
deploy: build
	SAM_CLI_TELEMETRY=0 $(SAM_BIN)/sam deploy --config-env $(ENV)
	$(MAKE) migrate-aws ENV=$(ENV)

migrate-aws:
	@fn=$(call stack_output,MigrateFunctionName); out=$$(mktemp); \
	echo "invoking $$fn"; \
	err=$$(aws lambda invoke --function-name "$$fn" --cli-read-timeout 320 \
	  --cli-binary-format raw-in-base64-out --payload '{"action": "migrate"}' \
	  --query FunctionError --output text "$$out"); \
	cat "$$out"; echo; rm -f "$$out"; \
	test "$$err" = "None" || { echo "migration failed ($$err): see the function's logs"; exit 1; }

deploy-frontend:
	@test -f frontend/dist/index.html || { echo "frontend/dist is missing: build the frontend first"; exit 1; }
	bucket=$(call stack_output,FrontendBucketName); \
	dist=$(call stack_output,DistributionId); \
	aws s3 sync frontend/dist/assets "s3://$$bucket/assets" --delete \
	  --cache-control "public, max-age=31536000, immutable" && \
	aws s3 sync frontend/dist "s3://$$bucket" --delete --exclude "assets/*" --cache-control "no-cache" && \
	aws cloudfront create-invalidation --distribution-id "$$dist" --paths "/*"

# Cold-start figures (bench/cold_start.py) need wheels this machine can load: build a copy of
# the template for the native architecture into .aws-sam/build-native.
NATIVE_ARCH := $(if $(filter aarch64 arm64,$(shell uname -m)),arm64,x86_64)

.PHONY: cold-start
cold-start: sam-tools
	mkdir -p .aws-sam
	sed 's/\barm64\b/$(NATIVE_ARCH)/g' template.yaml > .aws-sam/template-native.yaml
	$(SAM_ENV) $(SAM_BIN)/sam build --template-file .aws-sam/template-native.yaml --base-dir . --build-dir .aws-sam/build-native
	$(PY312) -m compileall -q --invalidation-mode unchecked-hash .aws-sam/build-native
	$(PY312) bench/cold_start.py --build-dir .aws-sam/build-native
