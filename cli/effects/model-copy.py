"""Copies one registered model version from one MLflow server to another (cli/effects/model-copy.ts).

Two phases, each its own process, so each server is reached with its own credential and CA
(MLflow's Python client takes them from the environment, MLFLOW_TRACKING_USERNAME/_PASSWORD and
MLFLOW_TRACKING_SERVER_CERT_PATH, for every server it talks to):

- `download <request> <folder>` (the source's environment): the model's files to `model/`, the
  training baseline when the run logged one to `run/`, the run's metrics and params and the
  version's description to `version.json`;
- `upload <request> <folder>` (the target's environment): a run of its own (in the experiment named
  after the model) holding those files under `model/`, the metrics, params and baseline, then a new
  version of the model whose source is that run's `model/`, tagged with its lineage. Prints one JSON
  object {"version", "run_id"}.

So a deployment from the target registry has everything a deployment from the source has.
<request> is a JSON object (model-copy.ts CopyRequest).
"""
import json
import os
import sys

import mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException


def download(request, folder):
    name, version, uri = request["name"], request["version"], request["source_uri"]
    source = MlflowClient(tracking_uri=uri, registry_uri=uri)
    # `models:/` URIs resolve against the default registry: the source's.
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    source_version = source.get_model_version(name, version)
    mlflow.artifacts.download_artifacts(artifact_uri=f"models:/{name}/{version}", dst_path=os.path.join(folder, "model"), tracking_uri=uri)
    metrics, params, baseline = {}, {}, None
    if source_version.run_id:
        run = source.get_run(source_version.run_id)
        metrics, params = run.data.metrics, run.data.params
        try:
            path = mlflow.artifacts.download_artifacts(
                run_id=source_version.run_id, artifact_path=request["baseline_artifact"], dst_path=os.path.join(folder, "run"), tracking_uri=uri
            )
            baseline = os.path.relpath(os.path.dirname(path), folder)  # a file lands in dst_path itself, not under its artifact path
        except (MlflowException, OSError):
            pass  # the run logged no baseline: the dashboard shows captured requests only
    with open(os.path.join(folder, "version.json"), "w") as file:
        json.dump({"metrics": metrics, "params": params, "description": source_version.description, "baseline": baseline}, file)


def upload(request, folder):
    name, uri = request["name"], request["target_uri"]
    target = MlflowClient(tracking_uri=uri, registry_uri=uri)
    # What MLflow resolves against the default server (a version's run source) is the target's, never
    # the default store (a sqlite file in the working folder).
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    with open(os.path.join(folder, "version.json")) as file:
        copied = json.load(file)
    experiment = target.get_experiment_by_name(name)
    experiment_id = experiment.experiment_id if experiment else target.create_experiment(name)
    run = target.create_run(experiment_id, run_name=request["run_name"], tags=request["tags"])
    run_id = run.info.run_id
    try:
        for key, value in copied["metrics"].items():
            target.log_metric(run_id, key, value)
        for key, value in copied["params"].items():
            target.log_param(run_id, key, value)
        target.log_artifacts(run_id, os.path.join(folder, "model"), "model")
        if copied["baseline"]:
            target.log_artifacts(run_id, os.path.join(folder, copied["baseline"]), os.path.dirname(request["baseline_artifact"]))
    except Exception:
        target.set_terminated(run_id, "FAILED")
        raise
    target.set_terminated(run_id, "FINISHED")
    try:
        target.create_registered_model(name)
    except MlflowException as error:
        if error.error_code != "RESOURCE_ALREADY_EXISTS":
            raise
    created = target.create_model_version(name, source=f"{run.info.artifact_uri}/model", run_id=run_id, tags=request["tags"], description=copied["description"])
    print(json.dumps({"version": created.version, "run_id": run_id}))


if __name__ == "__main__":
    phase, request, folder = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
    {"download": download, "upload": upload}[phase](request, folder)
