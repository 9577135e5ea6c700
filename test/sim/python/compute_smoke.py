"""Drives the GCP simulator with Google's Python client (google-cloud-compute, REST transport).

Run by test/sim/python-client.test.ts with the venv that `npm run tools` installs:
    compute_smoke.py ENDPOINT PROJECT
It reads, sets named ports, inserts a firewall rule, waits for the operations, provokes the error
cases, and prints one JSON document of what it saw; the Node test asserts on it.

Extended operations' `.result()` would poll the real Compute host (a known client limitation), so
mutations use the `*_unary` methods, which return the raw Operation, and wait explicitly.
"""

import json
import sys

from google.api_core import exceptions
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import compute_v1

ZONE = "us-central1-a"


def main(endpoint: str, project: str) -> dict:
    options = ClientOptions(api_endpoint=endpoint)

    def client(cls):
        return cls(transport="rest", client_options=options, credentials=AnonymousCredentials())

    backend_services = client(compute_v1.BackendServicesClient)
    health_checks = client(compute_v1.HealthChecksClient)
    firewalls = client(compute_v1.FirewallsClient)
    groups = client(compute_v1.InstanceGroupsClient)
    instances = client(compute_v1.InstancesClient)
    networks = client(compute_v1.NetworksClient)
    global_ops = client(compute_v1.GlobalOperationsClient)
    zone_ops = client(compute_v1.ZoneOperationsClient)

    def wait(op, zone=None):
        polls = 0
        while op.status != compute_v1.Operation.Status.DONE:
            polls += 1
            if polls > 50:
                raise RuntimeError(f"operation {op.name} never finished")
            if zone:
                op = zone_ops.wait(project=project, zone=zone, operation=op.name)
            else:
                op = global_ops.wait(project=project, operation=op.name)
        return op

    def error_code(call):
        try:
            call()
        except exceptions.GoogleAPICallError as err:
            # Compute's legacy errors[] carry the reason (notFound, conditionNotMet, ...).
            reason = err.errors[0].get("reason") if err.errors and isinstance(err.errors[0], dict) else err.reason
            return {"code": err.code, "reason": reason, "type": type(err).__name__}
        return None

    out: dict = {}
    bs = backend_services.get(project=project, backend_service="web-bs")
    group = bs.backends[0].group
    health = backend_services.get_health(
        project=project,
        backend_service="web-bs",
        resource_group_reference_resource=compute_v1.ResourceGroupReference(group=group),
    )
    hc = health_checks.get(project=project, health_check=bs.health_checks[0].rsplit("/", 1)[1])
    ig = groups.get(project=project, zone=ZONE, instance_group="web-ig")
    members = groups.list_instances(
        project=project,
        zone=ZONE,
        instance_group="web-ig",
        instance_groups_list_instances_request_resource=compute_v1.InstanceGroupsListInstancesRequest(
            instance_state="ALL"
        ),
    )
    effective = networks.get_effective_firewalls(project=project, network="default")
    out["reads"] = {
        "backendServices": [b.name for b in backend_services.list(project=project)],
        "portName": bs.port_name,
        "timeoutSec": bs.timeout_sec,
        "fingerprint": bs.fingerprint,
        "health": [h.health_state for h in health.health_status],
        "healthPorts": [h.port for h in health.health_status],
        "healthCheck": {"type": hc.type_, "port": hc.http_health_check.port, "path": hc.http_health_check.request_path},
        "firewalls": sorted(f.name for f in firewalls.list(project=project)),
        "namedPorts": [[p.name, p.port] for p in ig.named_ports],
        "members": sorted(m.instance.rsplit("/", 1)[1] for m in members),
        "instances": sorted(i.name for i in instances.list(project=project, zone=ZONE)),
        "effectiveFirewalls": sorted(f.name for f in effective.firewalls),
    }

    op = groups.set_named_ports_unary(
        project=project,
        zone=ZONE,
        instance_group="web-ig",
        instance_groups_set_named_ports_request_resource=compute_v1.InstanceGroupsSetNamedPortsRequest(
            named_ports=[compute_v1.NamedPort(name="http", port=8080), compute_v1.NamedPort(name="admin", port=9000)],
            fingerprint=ig.fingerprint,
        ),
    )
    first = op.status.name
    done = wait(op, ZONE)
    after = groups.get(project=project, zone=ZONE, instance_group="web-ig")
    out["setNamedPorts"] = {
        "first": first,
        "done": done.status.name,
        "operationType": done.operation_type,
        "error": bool(done.error.errors),
        "namedPorts": [[p.name, p.port] for p in after.named_ports],
        "fingerprintChanged": after.fingerprint != ig.fingerprint,
    }

    rule = compute_v1.Firewall(
        name="python-allow-admin",
        network=f"projects/{project}/global/networks/default",
        source_ranges=["35.191.0.0/16", "130.211.0.0/22"],
        target_tags=["web"],
        allowed=[compute_v1.Allowed(I_p_protocol="tcp", ports=["9000"])],
    )
    op = firewalls.insert_unary(project=project, firewall_resource=rule)
    done = wait(op)
    inserted = firewalls.get(project=project, firewall="python-allow-admin")
    out["firewallInsert"] = {
        "done": done.status.name,
        "operationType": done.operation_type,
        "targetLink": done.target_link,
        "priority": inserted.priority,
        "direction": inserted.direction,
        "allowed": [[a.I_p_protocol, list(a.ports)] for a in inserted.allowed],
    }

    out["errors"] = {
        "getMissing": error_code(lambda: backend_services.get(project=project, backend_service="nope")),
        "insertDuplicate": error_code(lambda: firewalls.insert_unary(project=project, firewall_resource=rule)),
        "staleFingerprint": error_code(
            lambda: groups.set_named_ports_unary(
                project=project,
                zone=ZONE,
                instance_group="web-ig",
                instance_groups_set_named_ports_request_resource=compute_v1.InstanceGroupsSetNamedPortsRequest(
                    named_ports=[compute_v1.NamedPort(name="http", port=8080)], fingerprint=ig.fingerprint
                ),
            )
        ),
        "missingNetwork": error_code(
            lambda: firewalls.insert_unary(
                project=project,
                firewall_resource=compute_v1.Firewall(
                    name="python-nowhere",
                    network=f"projects/{project}/global/networks/nowhere",
                    source_ranges=["192.0.2.0/24"],
                    allowed=[compute_v1.Allowed(I_p_protocol="tcp")],
                ),
            )
        ),
        "badGroup": error_code(
            lambda: backend_services.get_health(
                project=project,
                backend_service="web-bs",
                resource_group_reference_resource=compute_v1.ResourceGroupReference(
                    group=f"zones/{ZONE}/instanceGroups/other"
                ),
            )
        ),
    }
    return out


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2])))
