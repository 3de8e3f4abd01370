"""Run by every Python process started with this folder on PYTHONPATH (serve.py puts it there for
`mlflow server` and everything it starts: the uvicorn or gunicorn workers, MLflow's job runner), so
each one's database connections use the current secret (db_credentials.py)."""

import os

if os.environ.get("DB_SECRET_ARN"):
    import db_credentials

    db_credentials.install()
