"""Copies one registered model version from one MLflow server to another (cli/effects/model-copy.ts).

The target gets a run of its own (in the experiment named after the model) holding the model's files
under `model/`, the source run's metrics and params, and its training baseline when it logged one,
so a deployment from the target registry has everything a deployment from the source has; then a
new version of the model whose source is that run's `model/`, tagged with its lineage.
Argument: a JSON object; prints one JSON object {"version", "run_id"}.
"""
import json
import os
import sys
import tempfile

import mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

request = json.loads(sys.argv[1])
name, version = request["name"], request["version"]
source = MlflowClient(tracking_uri=request["source_uri"], registry_uri=request["source_uri"])
target = MlflowClient(tracking_uri=request["target_uri"], registry_uri=request["target_uri"])

# `models:/` URIs resolve against the default registry: the source's, for the downloads.
mlflow.set_tracking_uri(request["source_uri"])
mlflow.set_registry_uri(request["source_uri"])
source_version = source.get_model_version(name, version)
with tempfile.TemporaryDirectory() as workdir:
    model_dir = mlflow.artifacts.download_artifacts(
        artifact_uri=f"models:/{name}/{version}", dst_path=os.path.join(workdir, "model"), tracking_uri=request["source_uri"]
    )
    baseline_dir = None
    metrics, params = {}, {}
    if source_version.run_id:
        run = source.get_run(source_version.run_id)
        metrics, params = run.data.metrics, run.data.params
        try:
            baseline_dir = os.path.dirname(
                mlflow.artifacts.download_artifacts(
                    run_id=source_version.run_id,
                    artifact_path=request["baseline_artifact"],
                    dst_path=os.path.join(workdir, "run"),
                    tracking_uri=request["source_uri"],
                )
            )
        except (MlflowException, OSError):
            baseline_dir = None  # the run logged no baseline: the dashboard shows captured requests only

    experiment = target.get_experiment_by_name(name)
    experiment_id = experiment.experiment_id if experiment else target.create_experiment(name)
    run = target.create_run(experiment_id, run_name=request["run_name"], tags=request["tags"])
    run_id = run.info.run_id
    try:
        for key, value in metrics.items():
            target.log_metric(run_id, key, value)
        for key, value in params.items():
            target.log_param(run_id, key, value)
        target.log_artifacts(run_id, model_dir, "model")
        if baseline_dir:
            target.log_artifacts(run_id, baseline_dir, os.path.dirname(request["baseline_artifact"]))
    except Exception:
        target.set_terminated(run_id, "FAILED")
        raise
    target.set_terminated(run_id, "FINISHED")

try:
    target.create_registered_model(name)
except MlflowException as error:
    if error.error_code != "RESOURCE_ALREADY_EXISTS":
        raise
created = target.create_model_version(
    name, source=f"{run.info.artifact_uri}/model", run_id=run_id, tags=request["tags"], description=source_version.description
)
print(json.dumps({"version": created.version, "run_id": run_id}))
