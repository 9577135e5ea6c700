/**
 * What Google reports about the health of a backend group, read from the health checker's records
 * (health.ts): `backendServices.getHealth` / `regionBackendServices.getHealth` for one group of one
 * backend service, and the per-endpoint health of `networkEndpointGroups.listNetworkEndpoints`.
 *
 * - Instance groups (zonal or regional): one status per instance; `port` is the group's named port for
 *   the backend service's portName (gcp-facts §4), whatever port the health check probed.
 * - GCE_VM_IP_PORT NEGs: one status per endpoint, with the endpoint's port.
 * - Hybrid (NON_GCP_PRIVATE_IP_PORT) NEGs: one status per endpoint; the endpoint is outside the
 *   simulation, so its state follows the scenario's `remote` (HEALTHY when it answers 200).
 * - Serverless and internet NEGs are not health-checked (gcp-facts §4): no `healthStatus`, which is what
 *   we understand GCP answers (unverified).
 */
import { invalid, notFound } from './errors';
import { healthKey } from './health';
import type { BackendService, NetworkEndpointGroup, Project } from './model';
import { parseResourceUrl, sameResource, selfLink } from './urls';

type Json = Record<string, unknown>;

/** A hybrid endpoint passes its health check when the remote answers 200. */
export function remoteState(neg: NetworkEndpointGroup): 'HEALTHY' | 'UNHEALTHY' {
  return neg.remote?.reachable === true && neg.remote.status === 200 ? 'HEALTHY' : 'UNHEALTHY';
}

function location(ref: { zone?: string; region?: string }): string {
  if (ref.zone) return `zones/${ref.zone}`;
  return ref.region ? `regions/${ref.region}` : 'global';
}

/** The `BackendServiceGroupHealth` answer for `body.group` (a backend of `bs`). */
export function groupHealth(project: Project, bs: BackendService, body: Json): Json {
  const group = body['group'];
  if (typeof group !== 'string' || group === '')
    throw invalid("Required field 'resource.group' not specified");
  const ref = parseResourceUrl(group);
  const backend = bs.backends.find((b) => sameResource(b.group, group));
  if (!ref || !backend) {
    // GCP's exact wording here is unverified; the status (400) is what a wrong group gets.
    throw invalid(
      `Invalid value for field 'resource.group': '${group}'. It is not a backend of backend service '${bs.name}'.`,
    );
  }
  const answer: Json = { kind: 'compute#backendServiceGroupHealth' };
  if (ref.kind === 'instanceGroups') {
    const ig = project.instanceGroups.get(ref.name);
    if (!ig) throw notFound(`projects/${project.projectId}/${location(ref)}/instanceGroups/${ref.name}`);
    const namedPort = ig.namedPorts.find((p) => p.name === bs.portName)?.port ?? bs.port;
    answer['healthStatus'] = ig.instances.map((name) => {
      const inst = project.instances.get(name);
      const probe = project.health.get(healthKey(bs.name, 'instanceGroup', ig.name, name));
      return {
        healthState: probe?.state ?? 'UNHEALTHY',
        instance: selfLink(project.projectId, 'instances', name, inst?.zone ?? ig.zone),
        ipAddress: probe?.ipAddress ?? inst?.networkIP ?? '',
        // The group's named port now, not the one of the last probe round: a setNamedPorts shows at once.
        port: namedPort,
      };
    });
    return answer;
  }
  const neg = project.networkEndpointGroups.get(ref.name);
  if (!neg)
    throw notFound(`projects/${project.projectId}/${location(ref)}/networkEndpointGroups/${ref.name}`);
  if (neg.networkEndpointType === 'GCE_VM_IP_PORT') {
    answer['healthStatus'] = neg.endpoints.map((ep) => {
      const inst = project.instances.get(ep.instance);
      const probe = project.health.get(healthKey(bs.name, 'neg', neg.name, ep.instance, ep.port));
      return {
        healthState: probe?.state ?? 'UNHEALTHY',
        instance: selfLink(project.projectId, 'instances', ep.instance, inst?.zone ?? neg.zone),
        ipAddress: inst?.networkIP ?? '',
        port: ep.port,
      };
    });
  } else if (neg.networkEndpointType === 'NON_GCP_PRIVATE_IP_PORT') {
    answer['healthStatus'] = (neg.externalEndpoints ?? []).map((ep) => ({
      healthState: remoteState(neg),
      ipAddress: ep.ipAddress ?? '',
      port: ep.port,
    }));
  }
  return answer;
}

/**
 * `listNetworkEndpoints` items: each endpoint, and with `healthStatus: SHOW` its health as seen by
 * every backend service that has the NEG as a backend (HealthStatusForNetworkEndpoint).
 */
export function networkEndpointsWithHealth(
  project: Project,
  neg: NetworkEndpointGroup,
  showHealth: boolean,
): Json[] {
  const services = [...project.backendServices.values()].filter((bs) =>
    bs.backends.some((b) =>
      sameResource(
        b.group,
        selfLink(project.projectId, 'networkEndpointGroups', neg.name, neg.zone ?? neg.region),
      ),
    ),
  );
  const healths = (state: (bs: BackendService) => string): Json[] =>
    services.map((bs) => ({
      healthState: state(bs),
      backendService: { backendService: selfLink(project.projectId, 'backendServices', bs.name, bs.region) },
      ...(bs.healthChecks[0] === undefined ? {} : { healthCheck: { healthCheck: bs.healthChecks[0] } }),
    }));
  if (neg.networkEndpointType === 'GCE_VM_IP_PORT') {
    return neg.endpoints.map((ep) => {
      const inst = project.instances.get(ep.instance);
      return {
        networkEndpoint: {
          instance: selfLink(project.projectId, 'instances', ep.instance, inst?.zone ?? neg.zone),
          ipAddress: inst?.networkIP ?? '',
          port: ep.port,
        },
        ...(showHealth
          ? {
              healths: healths(
                (bs) =>
                  project.health.get(healthKey(bs.name, 'neg', neg.name, ep.instance, ep.port))?.state ??
                  'UNKNOWN',
              ),
            }
          : {}),
      };
    });
  }
  return (neg.externalEndpoints ?? []).map((ep) => ({
    networkEndpoint: {
      ...(ep.ipAddress === undefined ? {} : { ipAddress: ep.ipAddress }),
      ...(ep.fqdn === undefined ? {} : { fqdn: ep.fqdn }),
      port: ep.port,
    },
    // Internet NEG endpoints are not health-checked; hybrid ones follow their remote.
    ...(showHealth && neg.networkEndpointType === 'NON_GCP_PRIVATE_IP_PORT'
      ? { healths: healths(() => remoteState(neg)) }
      : {}),
  }));
}
