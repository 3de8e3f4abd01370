"""Entry point of the MLflow server image.

Builds the backend-store URI from the DB_* environment, with TLS to the database verified against
the RDS CA bundle and no credentials in it: every new connection of every Python process of the
server takes the user name and password from the RDS-managed secret DB_SECRET_ARN at that moment
(site/db_credentials.py, loaded by site/sitecustomize.py in each process this one starts), so the
server outlives the secret's rotation. Upgrades the database schema in-process; with
`--app-name basic-auth`, auth_setup.py then makes the auth database (on the same host, so its
connections take the same credentials), its config file and the users; then replaces itself with
`mlflow server <the container's arguments>`. The URI travels in MLFLOW_BACKEND_STORE_URI, never on a
command line. MLOPS_SERVE_DRY_RUN=1 prints what would run and exits.
"""

import json
import os
import sys
from urllib.parse import quote

REQUIRED = ("DB_SCHEME", "DB_HOST", "DB_PORT", "DB_NAME", "DB_SECRET_ARN")
SITE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "site")


def backend_store_uri(env):
    missing = [name for name in REQUIRED if not env.get(name)]
    if missing:
        raise SystemExit(f"serve.py: missing environment: {', '.join(missing)}")
    scheme = env["DB_SCHEME"]
    uri = f"{scheme}://{env['DB_HOST']}:{env['DB_PORT']}/{quote(env['DB_NAME'], safe='')}"
    ca_bundle = env.get("DB_CA_BUNDLE")
    if ca_bundle and scheme.startswith("postgresql"):
        uri += f"?sslmode=verify-full&sslrootcert={quote(ca_bundle)}"
    elif ca_bundle and scheme.startswith("mysql"):
        uri += f"?ssl_ca={quote(ca_bundle)}"
    return uri


def use_secret_credentials():
    """Installs the credential listener here and, through PYTHONPATH, in every process started from here."""
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [SITE_DIR, os.environ.get("PYTHONPATH")]))
    sys.path.insert(0, SITE_DIR)
    import db_credentials

    db_credentials.install()


def main(argv):
    uri = backend_store_uri(os.environ)
    command = ["mlflow", "server", *argv]
    if os.environ.get("MLOPS_SERVE_DRY_RUN") == "1":
        print(json.dumps({"backend_store_uri": uri, "command": command}))
        return
    use_secret_credentials()
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
