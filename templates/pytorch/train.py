"""Trains a small neural network classifier and registers it under the experiment's name
(MLFLOW_EXPERIMENT_NAME, which mlops sets to the project name), with its signature and an input
example, so it serves as is."""
import argparse
import os

import mlflow
import mlflow.pytorch
import torch
from mlflow.models import infer_signature

from data import load_data, log_baseline, log_scores, split


class Classifier(torch.nn.Module):
    """Standardises its inputs with the training data's mean and spread (kept in the model, so the
    endpoint takes raw feature values) and returns one probability per class."""

    def __init__(self, mean: torch.Tensor, std: torch.Tensor, classes: int, hidden_units: int):
        super().__init__()
        self.register_buffer("mean", mean)
        self.register_buffer("std", std)
        self.layers = torch.nn.Sequential(
            torch.nn.Linear(len(mean), hidden_units), torch.nn.ReLU(), torch.nn.Linear(hidden_units, classes)
        )

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.layers((features - self.mean) / self.std), dim=1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--hidden-units", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=0.01)
    parser.add_argument("--test-size", type=float, default=0.25)
    args = parser.parse_args()

    torch.manual_seed(42)
    x_train, x_test, y_train, y_test = split(*load_data(), args.test_size)
    # MLflow's PyTorch flavour hands a served DataFrame to the model as float32.
    inputs = torch.tensor(x_train.to_numpy(), dtype=torch.float32)
    labels = torch.tensor(y_train.to_numpy(), dtype=torch.long)
    with mlflow.start_run():
        mlflow.log_params(vars(args))
        model = Classifier(inputs.mean(dim=0), inputs.std(dim=0), int(labels.max()) + 1, args.hidden_units)
        optimizer = torch.optim.Adam(model.parameters(), lr=args.learning_rate)
        for _ in range(args.epochs):
            optimizer.zero_grad()
            loss = torch.nn.functional.nll_loss(torch.log(model(inputs) + 1e-9), labels)
            loss.backward()
            optimizer.step()
        mlflow.log_metric("train_loss", loss.item())

        model.eval()
        with torch.no_grad():
            predictions = model(torch.tensor(x_test.to_numpy(), dtype=torch.float32)).argmax(dim=1).numpy()
        log_scores(y_test, predictions)
        log_baseline(x_train)
        example = x_train.head(5)
        with torch.no_grad():
            example_output = model(torch.tensor(example.to_numpy(), dtype=torch.float32)).numpy()
        mlflow.pytorch.log_model(
            model,
            name="model",
            signature=infer_signature(example, example_output),
            input_example=example,
            registered_model_name=os.environ.get("MLFLOW_EXPERIMENT_NAME", "{{name}}"),
            # MLflow 3's default (pt2) traces the model with a bare tensor example, so the endpoint
            # would take arrays without column names; pickle keeps the table signature that batch
            # scoring and monitoring read column by column.
            serialization_format="pickle",
        )


if __name__ == "__main__":
    main()
