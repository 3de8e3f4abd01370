"""Trains a random forest and registers it under the experiment's name (MLFLOW_EXPERIMENT_NAME, which
mlops sets to the project name), with its signature and an input example, so it serves as is."""
import argparse
import os

import mlflow
import mlflow.sklearn
from mlflow.models import infer_signature
from sklearn.ensemble import RandomForestClassifier

from data import load_data, log_baseline, log_scores, split


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n-estimators", type=int, default=100)
    parser.add_argument("--max-depth", type=int, default=8)
    parser.add_argument("--test-size", type=float, default=0.25)
    args = parser.parse_args()

    x_train, x_test, y_train, y_test = split(*load_data(), args.test_size)
    with mlflow.start_run():
        mlflow.log_params(vars(args))
        model = RandomForestClassifier(n_estimators=args.n_estimators, max_depth=args.max_depth, random_state=42)
        model.fit(x_train, y_train)
        predictions = model.predict(x_test)
        log_scores(y_test, predictions)
        log_baseline(x_train)
        example = x_train.head(5)
        mlflow.sklearn.log_model(
            model,
            name="model",
            signature=infer_signature(example, model.predict(example)),
            input_example=example,
            registered_model_name=os.environ.get("MLFLOW_EXPERIMENT_NAME", "{{name}}"),
            # MLflow 3 saves scikit-learn models with skops by default, and skops refuses to load the
            # tree inside a forest (sklearn.tree._tree.Tree) unless told to trust it: cloudpickle
            # loads any estimator, including your own transformers.
            serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_CLOUDPICKLE,
        )


if __name__ == "__main__":
    main()
