"""The container's health check: `python healthcheck.py <the server's /health URL>`.

Healthy only when the server answers and a new database connection, made as the server makes its
own (the URI of serve.py, the current secret of site/db_credentials.py), runs `SELECT 1`. MLflow's
/health alone never touches the database, so a task that can no longer connect looked healthy; now
ECS replaces it. Exit 0 healthy, 1 not, with the reason on stderr.
"""

import os
import sys
import urllib.request

import serve

TIMEOUT_SECONDS = 4


def main(argv):
    if len(argv) != 1:
        raise SystemExit("usage: healthcheck.py <the server's /health URL>")
    try:
        urllib.request.urlopen(argv[0], timeout=TIMEOUT_SECONDS).close()
    except OSError as error:
        raise SystemExit(f"unhealthy: {argv[0]} did not answer: {error}") from None
    uri = serve.backend_store_uri(os.environ)
    serve.use_secret_credentials()
    import sqlalchemy
    from sqlalchemy.pool import NullPool

    # psycopg2 and PyMySQL both take connect_timeout (seconds).
    engine = sqlalchemy.create_engine(uri, poolclass=NullPool, connect_args={"connect_timeout": TIMEOUT_SECONDS})
    try:
        with engine.connect() as connection:
            connection.execute(sqlalchemy.text("SELECT 1"))
    except Exception as error:  # any failure to connect or query is "unhealthy", said in one line
        first_line = next(iter(str(error).strip().splitlines()), "")
        raise SystemExit(f"unhealthy: no new database connection: {type(error).__name__}: {first_line}") from None
    print("healthy: the server answers and the database accepts a new connection with the current secret")


if __name__ == "__main__":
    main(sys.argv[1:])
