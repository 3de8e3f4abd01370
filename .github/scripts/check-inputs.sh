#!/usr/bin/env bash
# Checks a dispatched workflow's inputs before anything else runs (and before a protected
# environment asks for approval), with the rules the CLI applies later. Each input arrives as an
# environment variable; an input the workflow does not declare is left unset and not checked:
#   INPUT_ACTION       apply | destroy, or another of the workflow's choices named in ACTION_CHOICES
#                      (deployment-job: "apply destroy promote shadow-rm")
#   INPUT_ENVIRONMENT  GitHub environment, also TF_VAR_env_name: letters and digits, at most 8 characters
#   INPUT_PROJECT      an ML project: a folder of ml-projects/ with an MLproject file, at most 20 characters
#   INPUT_MODEL        with apply: a version number, "latest" or an alias such as @champion
#   INPUT_SHADOW       with apply: true or false (deploy the version as a shadow beside the serving one)
# Reports every invalid input at once (as GitHub error annotations) and exits 2; prints what will run.
set -euo pipefail
export LC_ALL=C # [a-z] means ASCII letters only, as in the CLI's rules

repo_dir=$(cd "$(dirname "$0")/../.." && pwd)
projects_dir=${MLOPS_PROJECTS_DIR:-$repo_dir/ml-projects}

# The rules of core/naming.ts (NAME_PART_PATTERN, ENVIRONMENT_PART_PATTERN), core/environment.ts
# (MAX_ENV_NAME_LENGTH), core/ml-project.ts (MAX_ML_PROJECT_NAME_LENGTH) and cli/effects/mlflow.ts
# (parseModelSpec); test/workflows/check-inputs.test.ts keeps them in step.
name_part='^[a-z][a-z0-9]*(-[a-z0-9]+)*$'
name_rule='lower-case letters, digits and single hyphens, starting with a letter and not ending with a hyphen'
env_part='^[a-z][a-z0-9]*$'
env_rule='lower-case letters and digits, starting with a letter, and no hyphen: the hyphen separates <project>-<env>-<resource>'
max_env_name_length=8
max_project_length=20
model_pattern='^([1-9][0-9]*|latest|@[A-Za-z_][A-Za-z0-9_-]*)$'

violations=()
violation() { violations+=("$1"); }

check_name_part() {
  local input=$1 value=$2 max_length=$3 pattern=${4:-$name_part} rule=${5:-$name_rule}
  if [[ ! $value =~ $pattern ]]; then violation "$input=\"$value\" must be $rule"; fi
  if (( ${#value} > max_length )); then violation "$input=\"$value\" must be at most $max_length characters (is ${#value})"; fi
}

known_projects() {
  local names=() dir
  for dir in "$projects_dir"/*/; do
    [ -f "$dir/MLproject" ] && names+=("$(basename "$dir")")
  done
  if [ ${#names[@]} -eq 0 ]; then echo 'none'; return; fi
  local list
  list=$(IFS=,; echo "${names[*]}")
  echo "${list//,/, }"
}

if [ -n "${INPUT_ACTION+set}" ]; then
  read -r -a action_choices <<< "${ACTION_CHOICES:-apply destroy}"
  known_action=false
  for choice in "${action_choices[@]}"; do [ "$INPUT_ACTION" = "$choice" ] && known_action=true; done
  if [ "$known_action" = false ]; then
    choices_text=$(printf '%s, ' "${action_choices[@]}")
    choices_text=${choices_text%, }
    if [ ${#action_choices[@]} -eq 2 ]; then choices_text="${action_choices[0]} or ${action_choices[1]}"; fi
    violation "action=\"$INPUT_ACTION\" must be $choices_text"
  fi
fi

if [ -n "${INPUT_ENVIRONMENT+set}" ]; then
  if [ -z "$INPUT_ENVIRONMENT" ]; then
    violation 'environment is empty: choose the GitHub environment to run in (its name is TF_VAR_env_name)'
  else
    check_name_part environment "$INPUT_ENVIRONMENT" "$max_env_name_length" "$env_part" "$env_rule"
  fi
fi

if [ -n "${INPUT_PROJECT+set}" ]; then
  if [ -z "$INPUT_PROJECT" ]; then
    violation "project is empty: name a folder of ml-projects/ (known: $(known_projects))"
  else
    before=${#violations[@]}
    check_name_part project "$INPUT_PROJECT" "$max_project_length"
    if [ ${#violations[@]} -eq "$before" ] && [ ! -f "$projects_dir/$INPUT_PROJECT/MLproject" ]; then
      violation "project=\"$INPUT_PROJECT\" is not an ML project: ml-projects/$INPUT_PROJECT/MLproject does not exist (known: $(known_projects))"
    fi
  fi
fi

if [ -n "${INPUT_MODEL+set}" ]; then
  # destroy, promote and shadow-rm work on what the endpoint runs; every other action deploys a model.
  if [[ ! ${INPUT_ACTION:-} =~ ^(destroy|promote|shadow-rm)$ ]]; then
    if [ -z "$INPUT_MODEL" ]; then
      violation 'model is empty: apply needs a version number (3), "latest", or an alias (@champion)'
    elif [[ ! $INPUT_MODEL =~ $model_pattern ]]; then
      violation "model=\"$INPUT_MODEL\" is not a version: use a version number (3), \"latest\", or an alias (@champion)"
    fi
  elif [ -n "$INPUT_MODEL" ]; then
    echo "::notice title=model ignored::$INPUT_ACTION works on what the endpoint runs; model=\"$INPUT_MODEL\" is not used"
  fi
fi

if [ -n "${INPUT_SHADOW+set}" ]; then
  case "$INPUT_SHADOW" in
    true | false) ;;
    *) violation "shadow=\"$INPUT_SHADOW\" must be true or false" ;;
  esac
  if [ "$INPUT_SHADOW" = true ] && [ "${INPUT_ACTION:-apply}" != apply ]; then
    echo "::notice title=shadow ignored::shadow=true applies to apply only; $INPUT_ACTION does not use it"
  fi
fi

if [ ${#violations[@]} -gt 0 ]; then
  for message in "${violations[@]}"; do echo "::error title=Invalid workflow input::$message"; done
  printf '%s invalid input(s); nothing was run:\n' "${#violations[@]}" >&2
  printf '  - %s\n' "${violations[@]}" >&2
  exit 2
fi

summary="Inputs are valid:"
for name in ACTION ENVIRONMENT PROJECT MODEL SHADOW; do
  variable="INPUT_$name"
  if [ -n "${!variable+set}" ]; then summary+=" ${name,,}=${!variable}"; fi
done
echo "$summary"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then echo "$summary" >> "$GITHUB_STEP_SUMMARY"; fi
