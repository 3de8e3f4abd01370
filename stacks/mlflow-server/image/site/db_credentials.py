"""The MLflow server's database credentials, read from Secrets Manager for every new connection.

RDS rotates the master password it keeps in Secrets Manager (every 7 days by default). A password
handed to the process once, at start, stops working then; so no credential is in the environment or
the backend-store URI. `install()` adds a SQLAlchemy `do_connect` listener to every engine of the
process; for a connection to the backend-store host it sets the user name and password of the secret
named by DB_SECRET_ARN (JSON with `username` and `password`, as RDS writes it). The secret is cached
for CACHE_SECONDS; when a connection is refused with a cached value, the secret is read again and,
if it has changed (a rotation happened), the connection is retried once with the new value. Open
connections are not affected by a rotation (PostgreSQL and MySQL keep authenticated sessions).
"""

import json
import logging
import os
import threading
import time

from sqlalchemy import event
from sqlalchemy.engine import Engine

# Short, so a rotation is picked up within a minute even without a refused connection.
CACHE_SECONDS = 60
# A refused connection reads the secret again at most this often, so a database that is down does
# not turn every connection attempt into a Secrets Manager call.
REFRESH_MIN_SECONDS = 2
DIALECTS = ("postgresql", "mysql")

_logger = logging.getLogger("mlops.db_credentials")


class SecretCredentials:
    """The `username` and `password` of one secret, read with boto3 and cached; safe across threads."""

    def __init__(self, secret_arn):
        self.secret_arn = secret_arn
        self._client = None
        self._lock = threading.Lock()
        self._value = None
        self._read_at = 0.0

    def get(self):
        with self._lock:
            if self._value is None or time.monotonic() - self._read_at > CACHE_SECONDS:
                self._read()
            return self._value

    def refresh(self):
        """Reads the secret again (unless it was read moments ago); returns the current value."""
        with self._lock:
            if self._value is None or time.monotonic() - self._read_at >= REFRESH_MIN_SECONDS:
                self._read()
            return self._value

    def _read(self):
        if self._client is None:
            import boto3

            # Region and endpoint from the task's environment (AWS_DEFAULT_REGION; AWS_ENDPOINT_URL in tests).
            self._client = boto3.client("secretsmanager")
        response = self._client.get_secret_value(SecretId=self.secret_arn)
        try:
            secret = json.loads(response["SecretString"])
            value = (secret["username"], secret["password"])
        except (KeyError, TypeError, ValueError):
            # Never the value itself: it is a password.
            raise RuntimeError(f"secret {self.secret_arn} is not JSON with 'username' and 'password' (as RDS writes it)") from None
        if self._value is not None and value != self._value:
            _logger.warning("database secret %s changed (version %s): new connections use it", self.secret_arn, response.get("VersionId"))
        self._value = value
        self._read_at = time.monotonic()


_installed = False


def install():
    """Sets the secret's credentials on every new connection to DB_HOST made through SQLAlchemy in this process."""
    global _installed
    if _installed:
        return
    credentials = SecretCredentials(os.environ["DB_SECRET_ARN"])
    host = os.environ["DB_HOST"]

    def connect(dialect, conn_rec, cargs, cparams):
        if dialect.name not in DIALECTS or cparams.get("host") != host:
            return None
        username, password = credentials.get()
        try:
            return dialect.connect(*cargs, **{**cparams, "user": username, "password": password})
        except dialect.loaded_dbapi.OperationalError:
            fresh = credentials.refresh()
            if fresh == (username, password):
                raise
            return dialect.connect(*cargs, **{**cparams, "user": fresh[0], "password": fresh[1]})

    event.listen(Engine, "do_connect", connect)
    _installed = True
