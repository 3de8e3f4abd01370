#!/usr/bin/env bash
# Installs the offline toolchain the tests need, idempotently, cached outside the repo keyed by
# version: a Python virtualenv (mlflow, scikit-learn, moto), OpenTofu and the hashicorp/aws provider
# (official, verified downloads when their hosts answer, see scripts/fetch-tools.py; otherwise a
# tofu/terraform >= 1.10 on PATH and a provider cache; built from their Go modules as the last
# resort) with the provider in a filesystem mirror, actionlint, what the image tests need
# (podman, buildah, a Debian base image, a local OCI registry), and the environment of each project
# template the virtualenv cannot run (pytorch), in MLflow's own environment cache.
# MLOPS_TOOLS_BUILD=never stops with an error instead of building OpenTofu or the provider (CI sets
# it: it must download them).
# Usage: scripts/install-tools.sh [all|python|scanners|tofu|provider|actionlint|images|template-envs|env|python-env]
#   env         prints the shell exports that point the CLI and the tests at the cached tools;
#   python-env  only the Python one (for the commands that run MLflow's own CLI; real AWS runs keep
#               the user's terraform/tofu and provider).
set -euo pipefail

TOFU_VERSION=1.10.10
# The module has no /v6 path suffix, so Go knows its commits only by pseudo-version. The Go module
# proxy this project can reach serves one commit of it: 5f2286d6d836, release 6.47.1 plus unreleased
# changes (version/VERSION says 6.47.1). The v6.25.0 tag's commit, which @cdktf/provider-aws 21.22.1
# was generated from, is not served; the stacks accept any 6.x from 6.25.0 on (see stacks/common).
AWS_PROVIDER_MODULE_VERSION=v1.60.1-0.20260602190131-5f2286d6d836
AWS_PROVIDER_VERSION=6.47.1
ACTIONLINT_VERSION=1.7.12
CRANE_VERSION=0.22.1
# The image tests' base: Debian bookworm's Python 3.11 with pip, made with mmdebstrap (no registry
# needed) and tagged, at test time, with the name each Dockerfile's FROM asks for. Debian's
# EXTERNALLY-MANAGED marker is removed so `pip install` behaves as in the python:*-slim images.
BASE_SUITE=bookworm
BASE_PACKAGES=python3,python3-venv,python3-pip,python-is-python3,ca-certificates
BASE_HOOK='rm -f "$1"/usr/lib/python3*/EXTERNALLY-MANAGED'
# The templates whose libraries the virtualenv lacks, so their test trains them in their own
# environment: PyPI's Linux torch is the CUDA build, whose NVIDIA packages make that environment a
# 3 GB download and 6 GB on disk, too much for the virtualenv everything else uses. Built here, with
# the toolchain's other long steps, so that no timed test pays for it.
TEMPLATE_ENVS=pytorch

repo_dir=$(cd "$(dirname "$0")/.." && pwd)
cache=${MLOPS_TOOLS_CACHE:-$HOME/.cache/lean-mlops}
case "${MLOPS_TOOLS_BUILD:=auto}" in
  auto|never) ;;
  *) echo "MLOPS_TOOLS_BUILD='$MLOPS_TOOLS_BUILD' is not one of: auto (build OpenTofu and the provider when nothing can be downloaded), never" >&2; exit 2 ;;
esac
case "$(uname -m)" in x86_64) arch=amd64 ;; aarch64|arm64) arch=arm64 ;; *) arch=$(uname -m) ;; esac
platform="$(uname -s | tr '[:upper:]' '[:lower:]')_$arch"
requirements="$repo_dir/scripts/requirements-tools.txt"
requirements_hash=$(sha256sum "$requirements" | cut -c1-12)
venv="$cache/venv-$requirements_hash"
scanners_requirements="$repo_dir/scripts/requirements-scanners.txt"
scanners_venv="$cache/scanners-$(sha256sum "$scanners_requirements" | cut -c1-12)"
tofu_bin="$cache/tofu-$TOFU_VERSION/tofu"
# Names the tofu/terraform on PATH that stands in for OpenTofu when it could not be downloaded.
terraform_on_path_record="$cache/terraform-on-path"
mirror="$cache/provider-mirror"
provider_rel="hashicorp/aws/$AWS_PROVIDER_VERSION/$platform/terraform-provider-aws_v${AWS_PROVIDER_VERSION}_x5"
provider_bin="$mirror/registry.opentofu.org/$provider_rel"
cli_config="$cache/tofurc-$AWS_PROVIDER_VERSION"
actionlint_bin="$cache/actionlint-$ACTIONLINT_VERSION/actionlint"
crane_bin="$cache/crane-$CRANE_VERSION/crane"
base_hash=$(printf '%s\n' "$BASE_SUITE" "$BASE_PACKAGES" "$BASE_HOOK" | sha256sum | cut -c1-12)
base_tar="$cache/test-base-$base_hash.tar"
base_image="localhost/lean-mlops-test-base:$base_hash"

log() { printf '[tools %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# Runs a long build in the background and prints a heartbeat with elapsed time and peak memory.
with_progress() {
  local label=$1; shift
  local started=$SECONDS
  local time_log; time_log=$(mktemp)
  /usr/bin/time -f '%M' -o "$time_log" "$@" &
  local pid=$! next_report=$((started + 30))
  # Polled every second, so a step that finds its work done ends at once; reported every 30 s.
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    if [ "$SECONDS" -ge "$next_report" ] && kill -0 "$pid" 2>/dev/null; then
      log "$label: still building, $((SECONDS - started))s elapsed"
      next_report=$((next_report + 30))
    fi
  done
  local status=0
  wait "$pid" || status=$?
  local peak_kib; peak_kib=$(tail -n1 "$time_log" 2>/dev/null || echo '?')
  rm -f "$time_log"
  if [ "$status" -ne 0 ]; then log "$label: FAILED after $((SECONDS - started))s"; return "$status"; fi
  log "$label: built in $((SECONDS - started))s, peak memory ${peak_kib} KiB"
}

# go.mod files with replace directives make `go install pkg@version` refuse a module: build inside
# a writable copy of the downloaded module instead.
go_build_module() {
  local module=$1 version=$2 package=$3 output=$4 extra_ldflags=${5:-}
  local module_dir work status=0
  module_dir=$(go mod download -json "$module@$version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  [ -n "$module_dir" ] || { log "could not download $module@$version"; return 1; }
  work=$(mktemp -d)
  cp -r "$module_dir/." "$work/"
  chmod -R u+w "$work"
  mkdir -p "$(dirname "$output")"
  (cd "$work" && with_progress "$module@$version" \
    env CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w $extra_ldflags" -o "$output.partial" "$package") || status=$?
  rm -rf "$work"
  [ "$status" -eq 0 ] || return "$status"
  mv "$output.partial" "$output"
}

# A virtualenv from a requirements file, once: `marker` is a command it installs.
make_venv() {
  local dir=$1 requirements_file=$2 marker=$3 what=$4
  if [ -x "$dir/bin/$marker" ]; then return; fi
  log "creating Python virtualenv $dir ($what)"
  rm -rf "$dir"
  python3 -m venv "$dir"
  "$dir/bin/pip" install --quiet --upgrade pip
  "$dir/bin/pip" install --quiet -r "$requirements_file"
}

# A template's environment as `mlflow run --env-manager uv` makes it (scripts/prepare-project-env.py),
# where MLflow looks for it: MLFLOW_ENV_ROOT (~/.mlflow/envs), named after the python_env.yaml's
# content; uv's cache (~/.cache/uv) keeps the downloads, from which the model's environment (known
# only once a model is logged) is built at its first serving in under a minute. A record keyed by
# that file's content skips the check (an import of mlflow) while the environment is there.
install_template_envs() {
  local template project record env_root=${MLFLOW_ENV_ROOT:-$HOME/.mlflow/envs}
  for template in $TEMPLATE_ENVS; do
    project="$repo_dir/templates/$template"
    record="$cache/template-env-$template-$(sha256sum "$project/python_env.yaml" | cut -c1-12)"
    if [ -s "$record" ] && [ "$(dirname "$(cat "$record")")" = "$env_root" ] && [ -x "$(cat "$record")/bin/python" ]; then continue; fi
    log "building the $template template's environment in $env_root, from PyPI (for pytorch: a 3 GB download, 6 GB on disk)"
    with_progress "the $template template's environment" env PATH="$venv/bin:$PATH" UV_COMPILE_BYTECODE="${UV_COMPILE_BYTECODE:-1}" \
      MLFLOW_ENABLE_TELEMETRY=false DO_NOT_TRACK=1 "$venv/bin/python" "$repo_dir/scripts/prepare-project-env.py" "$project" "$record"
  done
}

install_python() { make_venv "$venv" "$requirements" uv 'mlflow, scikit-learn, xgboost, moto, uv'; }
install_scanners() { make_venv "$scanners_venv" "$scanners_requirements" checkov 'checkov, parliament'; }

# An official release, verified (scripts/fetch-tools.py), into a folder that appears only when
# complete. Returns 1 when its source does not answer (the caller tries the next source); a refused
# download (bad checksum or signature) stops the install. Callers use it in a || list, where
# errexit is off, so every failure is handled explicitly.
fetch_official() {
  local status=0
  python3 "$repo_dir/scripts/fetch-tools.py" "$@" || status=$?
  case "$status" in
    0) return 0 ;;
    3) return 1 ;;
    4) log "stopped: a download that does not verify is a reason to look at its host, not to build around it (the README's Offline toolchain names the variables that pick another)"; exit 1 ;;
    *) log "stopped: scripts/fetch-tools.py failed (exit $status); nothing of its download is installed"; exit 1 ;;
  esac
}

# The last resort, unless MLOPS_TOOLS_BUILD=never: building from the Go module.
build_from_source() {
  local what=$1 minutes=$2; shift 2
  if [ "$MLOPS_TOOLS_BUILD" = never ]; then
    log "$what: nothing to download or reuse, and MLOPS_TOOLS_BUILD=never forbids building it from its Go module (~$minutes min)"
    exit 1
  fi
  log "$what: nothing to download or reuse, so building it from its Go module (~$minutes min)"
  "$@"
}

# A tofu or terraform >= 1.10 already on PATH (checked again on every run, as PATH may change).
terraform_on_path() {
  local tool version
  for tool in tofu terraform; do
    command -v "$tool" >/dev/null || continue
    version=$("$tool" version 2>/dev/null | sed -n '1s/^[A-Za-z]* v\([0-9][0-9.]*\).*/\1/p')
    if [ -n "$version" ] && printf '1.10\n%s\n' "$version" | sort -V -C; then
      command -v "$tool"
      return 0
    fi
  done
  return 1
}

# Taken only when the provider needed no build either: a machine that must build the provider anyway
# (31 min) also builds OpenTofu (7 min), the version the tests are proven with, rather than run them
# with whatever terraform it happens to have.
use_terraform_on_path() {
  local found
  found=$(terraform_on_path) || return 1
  if [ ! -x "$provider_bin" ]; then
    log "OpenTofu $TOFU_VERSION: not downloadable; $found is on PATH, but the provider is not installed without a build, so OpenTofu is built too"
    return 1
  fi
  log "OpenTofu $TOFU_VERSION: not downloadable, using $found ($("$found" version 2>/dev/null | head -n1)) from PATH"
  printf '%s\n' "$found" > "$terraform_on_path_record"
}

install_tofu() {
  if [ -x "$tofu_bin" ]; then return; fi
  if [ -s "$terraform_on_path_record" ] && [ "$(terraform_on_path)" = "$(cat "$terraform_on_path_record")" ]; then return; fi
  rm -rf "$(dirname "$tofu_bin")" "$terraform_on_path_record"  # what an interrupted build left
  fetch_official tofu --version "$TOFU_VERSION" --platform "$platform" --dest "$(dirname "$tofu_bin")" ||
    use_terraform_on_path ||
    build_from_source "OpenTofu $TOFU_VERSION" 7 \
      go_build_module github.com/opentofu/opentofu "v$TOFU_VERSION" ./cmd/tofu "$tofu_bin" \
      "-X github.com/opentofu/opentofu/version.dev=no"
}

# The provider from the plugin cache a terraform/tofu user keeps (TF_PLUGIN_CACHE_DIR), copied so
# that clearing that cache does not break this mirror.
provider_from_plugin_cache() {
  local host found staged
  [ -n "${TF_PLUGIN_CACHE_DIR:-}" ] || return 1
  for host in registry.opentofu.org registry.terraform.io; do
    found="$TF_PLUGIN_CACHE_DIR/$host/hashicorp/aws/$AWS_PROVIDER_VERSION/$platform"
    [ -x "$found/$(basename "$provider_bin")" ] || continue
    log "hashicorp/aws $AWS_PROVIDER_VERSION: not downloadable, copying it from the provider cache $found"
    staged="$(dirname "$provider_bin").partial"
    rm -rf "$staged"
    mkdir -p "$(dirname "$staged")" || return 1
    cp -r "$found" "$staged" && mv "$staged" "$(dirname "$provider_bin")" && return 0
    rm -rf "$staged"
    return 1
  done
  return 1
}

install_provider() {
  if [ ! -x "$provider_bin" ]; then
    rm -rf "$(dirname "$provider_bin")"  # what an interrupted build left
    fetch_official provider --version "$AWS_PROVIDER_VERSION" --platform "$platform" --dest "$(dirname "$provider_bin")" ||
      provider_from_plugin_cache ||
      build_from_source "hashicorp/aws $AWS_PROVIDER_VERSION ($AWS_PROVIDER_MODULE_VERSION)" 31 \
        go_build_module github.com/hashicorp/terraform-provider-aws "$AWS_PROVIDER_MODULE_VERSION" . "$provider_bin" \
        "-X github.com/hashicorp/terraform-provider-aws/version.ProviderVersion=$AWS_PROVIDER_VERSION"
  fi
  # Terraform looks the provider up under registry.terraform.io, OpenTofu under registry.opentofu.org.
  mkdir -p "$(dirname "$mirror/registry.terraform.io/$provider_rel")"
  ln -sf "$provider_bin" "$mirror/registry.terraform.io/$provider_rel"
  cat > "$cli_config" <<CONFIG
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.opentofu.org/hashicorp/aws", "registry.terraform.io/hashicorp/aws"]
  }
}
CONFIG
}

install_actionlint() {
  if [ -x "$actionlint_bin" ]; then return; fi
  log "installing actionlint $ACTIONLINT_VERSION"
  GOBIN="$(dirname "$actionlint_bin")" go install "github.com/rhysd/actionlint/cmd/actionlint@v$ACTIONLINT_VERSION"
}

# Debian packages: installed with apt-get where this runs as root (or with passwordless sudo, as on
# CI runners) on Debian/Ubuntu; elsewhere the image tests say what is missing.
install_image_packages() {
  local missing=() tool as_root=()
  for tool in podman buildah mmdebstrap; do command -v "$tool" >/dev/null || missing+=("$tool"); done
  [ "${#missing[@]}" -eq 0 ] && return
  [ "$(id -u)" -eq 0 ] || as_root=(sudo -n)
  if ! command -v apt-get >/dev/null || { [ "${#as_root[@]}" -gt 0 ] && ! sudo -n true 2>/dev/null; }; then
    log "skipped the image toolchain: ${missing[*]} missing and apt-get cannot install them here (not Debian/Ubuntu, or neither root nor passwordless sudo); install them, or the image tests fail saying so"
    return 1
  fi
  log "installing ${missing[*]} from the Debian mirror"
  if ! { "${as_root[@]}" apt-get update -qq && "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }; then
    log "skipped the image toolchain: apt-get could not install ${missing[*]}; the image tests fail saying so"
    return 1
  fi
}

# mmdebstrap picks its output format from the file name, so the partial file ends in .tar too.
install_base_image() {
  podman image exists "$base_image" && return
  if [ ! -s "$base_tar" ]; then
    log "making the image tests' base ($BASE_SUITE: $BASE_PACKAGES) with mmdebstrap"
    rm -f "${base_tar%.tar}.partial.tar"
    with_progress "mmdebstrap $BASE_SUITE" mmdebstrap --quiet --variant=minbase --include="$BASE_PACKAGES" \
      --customize-hook="$BASE_HOOK" "$BASE_SUITE" "${base_tar%.tar}.partial.tar"
    mv "${base_tar%.tar}.partial.tar" "$base_tar"
  fi
  podman import --quiet "$base_tar" "$base_image" >/dev/null
  log "imported $base_image"
}

install_crane() {
  [ -x "$crane_bin" ] && return
  log "installing crane $CRANE_VERSION (local OCI registry for the image tests)"
  GOBIN="$(dirname "$crane_bin")" GOFLAGS=-trimpath go install "github.com/google/go-containerregistry/cmd/crane@v$CRANE_VERSION"
}

install_images() {
  install_image_packages || return 0
  install_base_image
  install_crane
}

print_python_env() {
  echo "export MLOPS_PYTHON_BIN='$venv/bin'"
}

print_env() {
  local terraform_bin=$tofu_bin
  if [ ! -x "$tofu_bin" ] && [ -s "$terraform_on_path_record" ]; then terraform_bin=$(cat "$terraform_on_path_record"); fi
  print_python_env
  cat <<ENV
export MLOPS_TERRAFORM_BIN='$terraform_bin'
export TF_CLI_CONFIG_FILE='$cli_config'
export MLOPS_ACTIONLINT_BIN='$actionlint_bin'
export MLOPS_SCANNERS_BIN='$scanners_venv/bin'
export MLOPS_CRANE_BIN='$crane_bin'
export MLOPS_TEST_BASE_IMAGE='$base_image'
ENV
}

mkdir -p "$cache"
case "${1:-all}" in
  python) install_python ;;
  scanners) install_scanners ;;
  tofu) install_tofu ;;
  provider) install_provider ;;
  actionlint) install_actionlint ;;
  images) install_images ;;
  template-envs) install_python && install_template_envs ;;
  env) print_env ;;
  python-env) print_python_env ;;
  all)
    # The virtualenvs and the template environments mostly download while the Go builds compile, so they overlap.
    (install_python && install_scanners && install_template_envs) &
    python_pid=$!
    # The provider first: whether a tofu/terraform on PATH may stand in for OpenTofu depends on it.
    install_provider
    install_tofu
    install_actionlint
    install_images
    wait "$python_pid"
    ;;
  *) echo "usage: $0 [all|python|scanners|tofu|provider|actionlint|images|template-envs|env|python-env]" >&2; exit 2 ;;
esac
