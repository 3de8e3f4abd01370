"""Everything the emulator (moto) holds, as JSON on stdout: for every service moto implements, the
answer of every List*/Describe*/Get* operation that needs no input, in the region of AWS_REGION.

moto's /moto-api/data.json cannot serve here: it lists every object moto ever made (deleted ones
too, until a reset) and fails outright once an RDS instance exists. The AWS_* environment points
boto3 at the emulator. Operations moto does not implement, or that fail, are left out (the same on
every call, so two inventories stay comparable), and so are answers that differ from one call to
the next with nothing changed (a random password, a session token): each answer is asked twice.
Where AWS's answer without input leaves records out, the inventory asks for them too (WIDER).
"""

import json
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config
from moto.backends import list_of_moto_modules

# moto module names that are not boto3 service names.
BOTO3_NAMES = {"awslambda": "lambda", "cognitoidp": "cognito-idp"}
PREFIXES = ("List", "Describe", "Get")
SESSION = boto3.session.Session()
# Optional input that widens an answer to what the default leaves out: secrets scheduled for deletion
# (their values are still kept), and certificates of every key type (the default lists RSA ones only).
WIDER = {
    "secretsmanager:ListSecrets": {"IncludePlannedDeletion": True},
    "acm:ListCertificates": {
        "Includes": {"keyTypes": ["RSA_1024", "RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1", "EC_secp384r1", "EC_secp521r1"]}
    },
}
CONFIG = Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=60)


def operations(service):
    client = SESSION.client(service, config=CONFIG)
    model = client.meta.service_model
    methods = {api: method for method, api in client.meta.method_to_api_mapping.items()}
    for operation in model.operation_names:
        shape = model.operation_model(operation).input_shape
        if operation.startswith(PREFIXES) and not (shape is not None and shape.required_members):
            yield client, f"{service}:{operation}", methods[operation]


def ask(call):
    client, key, method = call
    try:
        result = getattr(client, method)(**WIDER.get(key, {}))
    except Exception:  # noqa: BLE001 - not implemented, or not answerable without input
        if key in WIDER:
            raise  # a widened answer left out would hide exactly what it is there to show
        return key, None
    result.pop("ResponseMetadata", None)
    return key, result


def main():
    available = set(SESSION.get_available_services())
    services = sorted({BOTO3_NAMES.get(m, m.replace("_", "-")) for m in list_of_moto_modules()} & available)
    calls = [call for service in services for call in operations(service)]
    text = lambda value: json.dumps(value, default=str, sort_keys=True)  # noqa: E731
    with ThreadPoolExecutor(max_workers=8) as pool:
        found = {key: result for key, result in pool.map(ask, calls) if result is not None}
        answered = [call for call in calls if call[1] in found]
        again = dict(pool.map(ask, answered))
    print(text({key: result for key, result in found.items() if text(result) == text(again[key])}))


main()
