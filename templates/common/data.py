"""The project's data, and what every run logs about it. Replace load_data() with your own: a table
with one column per model input, and the target. Training, serving and monitoring work unchanged."""
import mlflow
import pandas as pd
from sklearn.datasets import load_wine
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split


def load_data() -> tuple[pd.DataFrame, pd.Series]:
    """The wine data set ships inside scikit-learn, so the project trains with no download."""
    return load_wine(return_X_y=True, as_frame=True)


def split(features: pd.DataFrame, target: pd.Series, test_size: float):
    """Training and test rows; the fixed seed makes two runs with the same parameters comparable."""
    return train_test_split(features, target, test_size=test_size, random_state=42, stratify=target)


def log_baseline(x_train: pd.DataFrame) -> None:
    """Per-feature statistics of the training data: the baseline that `make monitor` compares an
    endpoint's captured requests against."""
    mlflow.log_dict(x_train.describe().to_dict(), "baseline/feature_statistics.json")


def log_scores(y_test: pd.Series, predictions) -> None:
    """The test set's scores, which the MLflow UI compares across runs."""
    mlflow.log_metrics(
        {"accuracy": accuracy_score(y_test, predictions), "f1_macro": f1_score(y_test, predictions, average="macro")}
    )
