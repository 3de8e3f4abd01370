"""Lists every resource of one MLflow server stack that the emulator (moto) holds, as JSON on stdout.

Usage: python mlflow-server-inventory.py <project> <env> [<vpc-id> ...]
The AWS_* environment points boto3 at the emulator. Resources are found by the stack's default tags
(project, environment), by their `<project>-<env>` name prefix, and (for network interfaces, which
services create untagged) by the VPC ids given.
"""

import json
import sys

import boto3

project, env, vpc_ids = sys.argv[1], sys.argv[2], sys.argv[3:]
prefix = f"{project}-{env}"
tags = [{"Name": "tag:project", "Values": [project]}, {"Name": "tag:environment", "Values": [env]}]


def client(service):
    return boto3.client(service)


ec2 = client("ec2")
nat_gateways = ec2.describe_nat_gateways(Filters=tags)["NatGateways"]
# moto's DeleteNatGateway marks the gateway deleted but keeps its network interface (AWS deletes it
# with the gateway): those interfaces are reported apart, so the caller can tell them from a leak of ours.
deleted_nat_enis = {
    address["NetworkInterfaceId"] for g in nat_gateways if g["State"] == "deleted" for address in g.get("NatGatewayAddresses", [])
}
inventory = {
    "ec2:vpc": [v["VpcId"] for v in ec2.describe_vpcs(Filters=tags)["Vpcs"]],
    "ec2:subnet": [s["SubnetId"] for s in ec2.describe_subnets(Filters=tags)["Subnets"]],
    "ec2:route-table": [t["RouteTableId"] for t in ec2.describe_route_tables(Filters=tags)["RouteTables"]],
    "ec2:internet-gateway": [g["InternetGatewayId"] for g in ec2.describe_internet_gateways(Filters=tags)["InternetGateways"]],
    "ec2:nat-gateway": [g["NatGatewayId"] for g in nat_gateways if g["State"] not in ("deleted", "deleting")],
    "ec2:elastic-ip": [a["AllocationId"] for a in ec2.describe_addresses(Filters=tags)["Addresses"]],
    "ec2:security-group": [
        g["GroupId"]
        for g in ec2.describe_security_groups()["SecurityGroups"]
        if g["GroupName"].startswith(f"{prefix}-") or g.get("VpcId") in vpc_ids
    ],
    "ec2:vpc-endpoint": [
        e["VpcEndpointId"] for e in ec2.describe_vpc_endpoints(Filters=tags)["VpcEndpoints"] if e["State"].lower() not in ("deleted", "deleting")
    ],
    "ec2:network-interface": [
        i["NetworkInterfaceId"]
        for i in ec2.describe_network_interfaces()["NetworkInterfaces"]
        if i.get("VpcId") in vpc_ids and i["NetworkInterfaceId"] not in deleted_nat_enis
    ],
}

rds = client("rds")
inventory["rds:db"] = [d["DBInstanceIdentifier"] for d in rds.describe_db_instances()["DBInstances"] if d["DBInstanceIdentifier"].startswith(prefix)]
inventory["rds:subgrp"] = [g["DBSubnetGroupName"] for g in rds.describe_db_subnet_groups()["DBSubnetGroups"] if g["DBSubnetGroupName"].startswith(prefix)]
inventory["rds:snapshot"] = [s["DBSnapshotIdentifier"] for s in rds.describe_db_snapshots()["DBSnapshots"] if s["DBSnapshotIdentifier"].startswith(prefix)]
inventory["secretsmanager:secret"] = [s["Name"] for s in client("secretsmanager").list_secrets()["SecretList"]]

ecs = client("ecs")
# Deleted clusters and services stay describable as INACTIVE for a while (in AWS too): only ACTIVE ones count.
named = [arn for arn in ecs.list_clusters()["clusterArns"] if arn.split("/")[-1].startswith(prefix)]
clusters = [c["clusterArn"] for c in (ecs.describe_clusters(clusters=named)["clusters"] if named else []) if c["status"] == "ACTIVE"]
inventory["ecs:cluster"] = clusters
inventory["ecs:service"] = [
    s["serviceArn"]
    for cluster in clusters
    for arns in [ecs.list_services(cluster=cluster)["serviceArns"]]
    for s in (ecs.describe_services(cluster=cluster, services=arns)["services"] if arns else [])
    if s["status"] != "INACTIVE"
]
inventory["ecs:task-definition"] = [
    arn for arn in ecs.list_task_definitions(status="ACTIVE")["taskDefinitionArns"] if arn.split("/")[-1].startswith(prefix)
]

elbv2 = client("elbv2")
inventory["elasticloadbalancing:loadbalancer"] = [
    lb["LoadBalancerName"] for lb in elbv2.describe_load_balancers()["LoadBalancers"] if lb["LoadBalancerName"].startswith(prefix)
]
inventory["elasticloadbalancing:targetgroup"] = [
    tg["TargetGroupName"] for tg in elbv2.describe_target_groups()["TargetGroups"] if tg["TargetGroupName"].startswith(prefix)
]
inventory["application-autoscaling:scalable-target"] = [
    t["ResourceId"] for t in client("application-autoscaling").describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"] if prefix in t["ResourceId"]
]
inventory["iam:role"] = [r["RoleName"] for r in client("iam").list_roles()["Roles"] if r["RoleName"].startswith(prefix)]
inventory["ecr:repository"] = [r["repositoryName"] for r in client("ecr").describe_repositories()["repositories"] if r["repositoryName"].startswith(prefix)]
inventory["logs:log-group"] = [g["logGroupName"] for g in client("logs").describe_log_groups(logGroupNamePrefix=f"/mlops/{prefix}")["logGroups"]]
inventory["s3:bucket"] = [b["Name"] for b in client("s3").list_buckets()["Buckets"] if b["Name"].startswith(f"{prefix}-")]
inventory["acm:certificate"] = [c["CertificateArn"] for c in client("acm").list_certificates()["CertificateSummaryList"]]

ssm = client("ssm")
parameters = ssm.get_parameters_by_path(Path=f"/{project}/{env}/", Recursive=True)["Parameters"]
inventory["ssm:parameter"] = sorted(p["Name"] for p in parameters)

print(
    json.dumps(
        {
            "resources": inventory,
            "ssm_values": {p["Name"]: p["Value"] for p in parameters},
            "moto_kept_nat_gateway_interfaces": sorted(deleted_nat_enis),
        }
    )
)
