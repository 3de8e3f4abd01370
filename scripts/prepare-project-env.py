"""Builds the environment `mlflow run --env-manager uv` would build for an MLflow project, ahead of
its first run, and writes the environment's folder to a record file.

It makes the calls MLflow's local project backend makes (mlflow/projects/backend/local.py): the
folder is MLFLOW_ENV_ROOT (~/.mlflow/envs) / MLflow's name for the project's python_env.yaml (a hash
of its content), so a later `mlflow run` of any project with that file finds it and reuses it.
Usage: prepare-project-env.py PROJECT_DIR RECORD_FILE (run with the toolchain's Python, uv on PATH).
"""
import sys
from pathlib import Path

from mlflow.utils.environment import _PythonEnv
from mlflow.utils.virtualenv import _create_virtualenv, _get_mlflow_virtualenv_root, _get_virtualenv_name


def main() -> None:
    project, record = Path(sys.argv[1]), Path(sys.argv[2])
    python_env = _PythonEnv.from_yaml(project / "python_env.yaml")
    env_dir = Path(_get_mlflow_virtualenv_root()) / _get_virtualenv_name(python_env, project)
    # Logs "Environment … already exists" and returns when it does.
    _create_virtualenv(local_model_path=project, python_env=python_env, env_dir=env_dir, env_manager="uv")
    record.write_text(f"{env_dir}\n")


if __name__ == "__main__":
    main()
