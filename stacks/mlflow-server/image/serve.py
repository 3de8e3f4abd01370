"""Entry point of the MLflow server image.

Builds the backend-store URI from the DB_* environment (DB_USERNAME and DB_PASSWORD arrive as ECS
secrets from the RDS-managed secret), URL-quoting the credentials, with TLS to the database verified
against the RDS CA bundle; upgrades the database schema in-process; then replaces itself with
`mlflow server <the container's arguments>`; with `--app-name basic-auth`, auth_setup.py first makes
the auth database, its config file and the users. The URI travels in MLFLOW_BACKEND_STORE_URI, never on a
command line. MLOPS_SERVE_DRY_RUN=1 prints what would run (password masked) and exits.
"""

import json
import os
import sys
from urllib.parse import quote

REQUIRED = ("DB_SCHEME", "DB_HOST", "DB_PORT", "DB_NAME", "DB_USERNAME", "DB_PASSWORD")


def backend_store_uri(env):
    missing = [name for name in REQUIRED if not env.get(name)]
    if missing:
        raise SystemExit(f"serve.py: missing environment: {', '.join(missing)}")
    scheme = env["DB_SCHEME"]
    user = quote(env["DB_USERNAME"], safe="")
    password = quote(env["DB_PASSWORD"], safe="")
    uri = f"{scheme}://{user}:{password}@{env['DB_HOST']}:{env['DB_PORT']}/{quote(env['DB_NAME'], safe='')}"
    ca_bundle = env.get("DB_CA_BUNDLE")
    if ca_bundle and scheme.startswith("postgresql"):
        uri += f"?sslmode=verify-full&sslrootcert={quote(ca_bundle)}"
    elif ca_bundle and scheme.startswith("mysql"):
        uri += f"?ssl_ca={quote(ca_bundle)}"
    return uri


def main(argv):
    uri = backend_store_uri(os.environ)
    command = ["mlflow", "server", *argv]
    if os.environ.get("MLOPS_SERVE_DRY_RUN") == "1":
        masked = uri.replace(quote(os.environ["DB_PASSWORD"], safe=""), "***")
        print(json.dumps({"backend_store_uri": masked, "command": command}))
        return
    from mlflow.db import commands as db_commands

    db_commands.main(["upgrade", uri], standalone_mode=False)
    if "basic-auth" in argv:
        import auth_setup

        auth_uri = backend_store_uri({**os.environ, "DB_NAME": os.environ.get("MLOPS_AUTH_DB_NAME", "")})
        os.environ.update(auth_setup.prepare(uri, auth_uri, os.environ))
    os.environ["MLFLOW_BACKEND_STORE_URI"] = uri
    os.execvp(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
