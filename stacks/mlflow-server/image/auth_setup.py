"""MLflow's basic-auth app for the server image: its database, its config file, its users.

Called by serve.py before `mlflow server --app-name basic-auth` starts. Everything it needs arrives
as environment (the users' credentials as ECS secrets from Secrets Manager, see
stacks/mlflow-server/mlflow-service.ts CREDENTIAL_VARIABLES):

- the auth database (MLOPS_AUTH_DB_NAME) is made on the tracking database's instance when missing;
- the CSRF key every task shares is derived from the admin's password (flask_secret_key);
- the config file MLflow reads (MLFLOW_AUTH_CONFIG_PATH, the auth database's URI, without
  credentials: site/db_credentials.py adds them per connection) is written in a private temporary folder;
- the admin, the training jobs' user and the CLI's user are created, or reset to the password their
  secret holds now (so a regenerated secret takes effect on the next start), and granted:
  training jobs may edit every experiment and registered model (log runs, register versions), the
  CLI may read every experiment and edit registered models (deployment tags on versions). Any
  other user MLflow's admin adds gets `default_permission`: read-only.

Done here, at every start, rather than by the CLI through the auth REST API: the server is the one
place that holds all three secrets, it needs no network path from the CLI (which may be outside
the VPN), and a server restored from a snapshot or restarted after a secret changed converges by
itself.
"""

import hashlib
import hmac
import os
import tempfile

DEFAULT_PERMISSION = "READ"

# role -> (username variable, password variable, admin?, grants as (resource type, pattern, permission))
USERS = {
    "admin": ("MLFLOW_AUTH_ADMIN_USERNAME", "MLFLOW_AUTH_ADMIN_PASSWORD", True, ()),
    "training": (
        "MLOPS_TRAINING_USERNAME",
        "MLOPS_TRAINING_PASSWORD",
        False,
        (("experiment", "*", "EDIT"), ("registered_model", "*", "EDIT")),
    ),
    "cli": (
        "MLOPS_CLI_USERNAME",
        "MLOPS_CLI_PASSWORD",
        False,
        (("experiment", "*", "READ"), ("registered_model", "*", "EDIT")),
    ),
}


def users_from(env):
    """The users to make, from the environment; refuses to start without every credential."""
    missing = [name for user, password, _, _ in USERS.values() for name in (user, password) if not env.get(name)]
    if missing:
        raise SystemExit(f"serve.py: missing MLflow user credentials: {', '.join(missing)}")
    return [(env[user], env[password], admin, grants) for user, password, admin, grants in USERS.values()]


def config_text(auth_uri):
    # configparser would take % in a URL-quoted password for interpolation: MLflow reads the file
    # with a plain ConfigParser, so every % is doubled.
    return "\n".join(
        [
            "[mlflow]",
            f"default_permission = {DEFAULT_PERMISSION}",
            f"database_uri = {auth_uri.replace('%', '%%')}",
            "authorization_function = mlflow.server.auth:authenticate_request_basic_auth",
            "",
        ]
    )


def create_database_if_missing(backend_uri, name):
    """The auth database on the tracking database's instance (the master user may create databases)."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(backend_uri, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                found = connection.execute(sqlalchemy.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}).first()
                if not found:
                    connection.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
            elif engine.dialect.name == "mysql":
                connection.execute(sqlalchemy.text(f"CREATE DATABASE IF NOT EXISTS `{name}`"))
    finally:
        engine.dispose()


def ensure_users(auth_uri, users):
    """Creates or resets each user and its grants (idempotent)."""
    from mlflow.server.auth.sqlalchemy_store import SqlAlchemyStore

    store = SqlAlchemyStore()
    store.init_db(auth_uri)
    for username, password, admin, grants in users:
        if store.has_user(username):
            store.update_user(username, password=password, is_admin=admin)
        else:
            store.create_user(username, password, is_admin=admin)
        for resource_type, pattern, permission in grants:
            store.grant_user_permission(username, resource_type, pattern, permission)


def flask_secret_key(admin_password):
    """The key the auth app signs CSRF tokens with: the same in every task (a token one task made is
    checked by another behind the load balancer), secret, and new when the admin's password is; derived
    from that password with HMAC-SHA256 under its own label, so no further secret is needed."""
    return hmac.new(admin_password.encode(), b"mlops: MLflow Flask secret key", hashlib.sha256).hexdigest()


def prepare(backend_uri, auth_uri, env):
    """Everything above; returns the environment `mlflow server --app-name basic-auth` needs."""
    if not env.get("MLOPS_AUTH_DB_NAME"):
        raise SystemExit("serve.py: missing environment: MLOPS_AUTH_DB_NAME")
    users = users_from(env)
    create_database_if_missing(backend_uri, env["MLOPS_AUTH_DB_NAME"])
    ensure_users(auth_uri, users)
    folder = tempfile.mkdtemp(prefix="mlflow-auth-")
    path = os.path.join(folder, "basic_auth.ini")
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(config_text(auth_uri))
    return {"MLFLOW_AUTH_CONFIG_PATH": path, "MLFLOW_FLASK_SERVER_SECRET_KEY": flask_secret_key(env["MLFLOW_AUTH_ADMIN_PASSWORD"])}
