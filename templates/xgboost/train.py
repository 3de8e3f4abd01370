"""Trains a gradient-boosted tree classifier and registers it under the experiment's name
(MLFLOW_EXPERIMENT_NAME, which mlops sets to the project name), with its signature and an input
example, so it serves as is."""
import argparse
import os

import mlflow
import mlflow.xgboost
from mlflow.models import infer_signature
from xgboost import XGBClassifier

from data import load_data, log_baseline, log_scores, split


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n-estimators", type=int, default=200)
    parser.add_argument("--max-depth", type=int, default=4)
    parser.add_argument("--learning-rate", type=float, default=0.1)
    parser.add_argument("--test-size", type=float, default=0.25)
    args = parser.parse_args()

    x_train, x_test, y_train, y_test = split(*load_data(), args.test_size)
    with mlflow.start_run():
        mlflow.log_params(vars(args))
        model = XGBClassifier(
            n_estimators=args.n_estimators, max_depth=args.max_depth, learning_rate=args.learning_rate, random_state=42
        )
        model.fit(x_train, y_train)
        predictions = model.predict(x_test)
        log_scores(y_test, predictions)
        log_baseline(x_train)
        example = x_train.head(5)
        # XGBoost's own file format (ubj): no pickle, and it loads in any later xgboost version.
        mlflow.xgboost.log_model(
            model,
            name="model",
            signature=infer_signature(example, model.predict(example)),
            input_example=example,
            registered_model_name=os.environ.get("MLFLOW_EXPERIMENT_NAME", "{{name}}"),
        )


if __name__ == "__main__":
    main()
