"""Trains a small classifier on the wine data set that ships inside scikit-learn (no download).

The model is registered under the experiment's name (MLFLOW_EXPERIMENT_NAME, which mlops sets to
the project name) with its signature and an input example, so it can be served and tested as is.
"""
import argparse
import os

import mlflow
import mlflow.sklearn
from mlflow.models import infer_signature
from sklearn.datasets import load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--C", type=float, default=1.0)
    parser.add_argument("--max-iter", type=int, default=500)
    parser.add_argument("--test-size", type=float, default=0.25)
    args = parser.parse_args()

    model_name = os.environ.get("MLFLOW_EXPERIMENT_NAME", "test-project")
    features, target = load_wine(return_X_y=True, as_frame=True)
    x_train, x_test, y_train, y_test = train_test_split(
        features, target, test_size=args.test_size, random_state=42, stratify=target
    )

    with mlflow.start_run():
        mlflow.log_params({"C": args.C, "max_iter": args.max_iter, "test_size": args.test_size})
        model = make_pipeline(StandardScaler(), LogisticRegression(C=args.C, max_iter=args.max_iter))
        model.fit(x_train, y_train)
        predictions = model.predict(x_test)
        mlflow.log_metrics(
            {
                "accuracy": accuracy_score(y_test, predictions),
                "f1_macro": f1_score(y_test, predictions, average="macro"),
            }
        )
        # Per-feature statistics of the training data: the baseline that endpoint monitoring compares
        # captured requests against.
        mlflow.log_dict(x_train.describe().to_dict(), "baseline/feature_statistics.json")
        example = x_train.head(5)
        mlflow.sklearn.log_model(
            model,
            name="model",
            signature=infer_signature(example, model.predict(example)),
            input_example=example,
            registered_model_name=model_name,
        )


if __name__ == "__main__":
    main()
