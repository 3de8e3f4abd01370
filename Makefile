# Entry points of the control centre. Every target calls the CLI (`mlops`); `make help` lists them.
# AWS targets need TF_VAR_state_bucket_name, TF_VAR_region, TF_VAR_project and TF_VAR_env_name.
.DEFAULT_GOAL := help
SHELL := /bin/bash
MLOPS := node dist/cli/main.js
# Commands that run MLflow's own CLI use the pinned MLflow of the toolchain (installed on first use);
# the tests use the whole offline toolchain (OpenTofu and the provider mirror too).
WITH_PYTHON := eval "$$(scripts/install-tools.sh python-env)" &&
WITH_TOOLS := eval "$$(scripts/install-tools.sh env)" &&
# env_manager=local runs MLflow in the toolchain's Python instead of the project's own environment.
ENV_MANAGER := $(if $(env_manager),--env-manager "$(env_manager)")
SOURCES := $(shell find core cli stacks -name '*.ts') cli/settings.json tsconfig.json
# max_monthly_usd=N on mlflow-server, training-job, deployment-job: refuse an apply estimated above N US dollars a month.
MAX_COST = $(if $(max_monthly_usd),--max-monthly-usd "$(max_monthly_usd)")

.PHONY: help install tools python-tools build synth test demo new-project \
	bench status cost mlflow-server mlflow-server-rm vpn-config training-job training-job-rm deployment-job deployment-job-rm promote shadow-rm promote-model sync monitor unlock \
	local-mlflow-server local-mlflow-server-rm local-training local-deployment local-deployment-rm \
	local-deployment-test local-batch-inference

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-24s %s\n", $$1, $$2}'

node_modules: package.json package-lock.json
	npm ci --no-audit --no-fund && touch node_modules
dist: node_modules $(SOURCES)
	npx tsc -p tsconfig.json && touch dist
install: dist ## Install the Node.js dependencies and build the CLI
build: dist ## Build the CLI
tools: ## Install the offline toolchain (Python env; OpenTofu and the AWS provider mirror, downloaded and verified or built; actionlint; image tools; the pytorch template's environment)
	scripts/install-tools.sh all
python-tools:
	@scripts/install-tools.sh python

synth: dist ## Write every stack's Terraform JSON to cdktf.out/ (no AWS access needed)
	$(MLOPS) synth

demo: dist python-tools ## The whole local lifecycle end to end: server, training, serving, test, batch scoring
	$(WITH_PYTHON) $(MLOPS) demo $(ENV_MANAGER)

new-project: dist ## Create ml-projects/NAME from a template: name=NAME template=sklearn|xgboost|pytorch
	$(MLOPS) new-project --name "$(name)" --template "$(template)"

test: dist tools ## Every test tier; ends with one line "N passed, N failed"
	$(WITH_TOOLS) node scripts/run-tests.mjs

bench: dist tools ## Measure synthesis, start-up, second runs and plan scaling against their references; writes bench/results.md (runs=N, default 5)
	$(WITH_TOOLS) node dist/bench/run.js $(if $(runs),--runs "$(runs)")

status: dist ## The AWS environment at a glance: versions, aliases, endpoints, last training jobs, stack states (--json in the CLI)
	$(MLOPS) status
cost: dist ## Estimated monthly cost of every stack of the environment, from their states (--json in the CLI)
	$(MLOPS) cost
mlflow-server: dist ## Create or update the MLflow server on AWS (plan summary and cost, then apply; max_monthly_usd=N); prints the tracking URI
	$(MLOPS) mlflow-server $(MAX_COST)
mlflow-server-rm: dist ## Destroy the MLflow server stack (asks first unless CI is set)
	$(MLOPS) mlflow-server-rm
vpn-config: dist ## Write client=NAME's .ovpn file for the MLflow server's VPN
	$(MLOPS) vpn-config --client "$(client)"
training-job: dist ## Train project=x on AWS Batch (apply its stack, publish its image, follow the job); prints models:/x/N. job=ID follows a submitted job; max_monthly_usd=N
	$(MLOPS) training-job --project "$(project)" $(if $(job),--job-id "$(job)") $(MAX_COST)
training-job-rm: dist ## Remove project=x's training infrastructure and nothing else (asks first unless CI is set)
	$(MLOPS) training-job-rm --project "$(project)"
deployment-job: dist python-tools ## Deploy project=x model=N|latest|@alias to its SageMaker endpoint (blue/green, smoke test, dashboard URL); shadow=true runs it as a shadow beside the serving version; max_monthly_usd=N
	$(WITH_PYTHON) $(MLOPS) deployment-job --project "$(project)" --model "$(model)" $(if $(filter true,$(shadow)),--shadow) $(MAX_COST)
promote: dist ## Make project=x's shadow version the serving one (blue/green with alarm rollback, same endpoint)
	$(MLOPS) promote --project "$(project)"
shadow-rm: dist ## Drop project=x's shadow version; the serving version keeps serving
	$(MLOPS) shadow-rm --project "$(project)"
deployment-job-rm: dist ## Remove project=x's endpoint and everything of its deployment (asks first unless CI is set)
	$(WITH_PYTHON) $(MLOPS) deployment-job-rm --project "$(project)"
promote-model: dist python-tools ## Point project=x's alias to=ENV (default TF_VAR_env_name) at the version alias from=ENV names, tagged who/when/from where; copied when from=ENV's stack has its own MLflow server; from_uri=URL: a source server no stack published
	$(WITH_PYTHON) $(MLOPS) promote-model --project "$(project)" --from "$(from)" $(if $(to),--to "$(to)") $(if $(from_uri),--from-tracking-uri "$(from_uri)")
sync: dist python-tools ## Deploy every ML project's @ENV version (ENV = TF_VAR_env_name) where its endpoint serves another; one line per project, exit 1 if any failed
	$(WITH_PYTHON) $(MLOPS) sync
monitor: dist ## Compare project=x's captured requests with its training baseline, and a shadow's answers with production's; publishes to the dashboard
	$(MLOPS) monitor --project "$(project)"
unlock: dist ## Break stack=ID's stale Terraform lock (mlflow-server, training-x, deployment-x): shows the holder, refuses while it may be alive, asks first unless CI is set
	$(MLOPS) unlock --stack "$(stack)" $(if $(force),--force)

local-mlflow-server: dist python-tools ## Start a local MLflow server and registry
	$(WITH_PYTHON) $(MLOPS) local-mlflow-server
local-mlflow-server-rm: dist ## Stop the local MLflow server (data stays in .mlops/)
	$(MLOPS) local-mlflow-server-rm
local-training: dist python-tools ## Train project=x locally in its own environment (env_manager=local: the toolchain Python); prints models:/x/N
	$(WITH_PYTHON) $(MLOPS) local-training --project "$(project)" $(ENV_MANAGER)
local-deployment: dist python-tools ## Serve project=x model=N|latest|@alias on 127.0.0.1 in the model environment (env_manager=local as above)
	$(WITH_PYTHON) $(MLOPS) local-deployment --project "$(project)" --model "$(model)" $(ENV_MANAGER)
local-deployment-rm: dist ## Stop serving project=x locally
	$(MLOPS) local-deployment-rm --project "$(project)"
local-deployment-test: dist python-tools ## Send project=x's input example to its local endpoint
	$(WITH_PYTHON) $(MLOPS) local-deployment-test --project "$(project)"
local-batch-inference: dist python-tools ## Score input=file.csv with project=x model=N into .mlops/outputs/x/ (output=FILE elsewhere, overwrite=1 replaces)
	$(WITH_PYTHON) $(MLOPS) local-batch-inference --project "$(project)" --model "$(model)" --input "$(input)" $(ENV_MANAGER) $(if $(output),--output "$(output)") $(if $(overwrite),--overwrite)
