/** Which backend service an incident names: resource labels, log labels, policy user labels, URL maps. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alertTarget, backendServicesOfUrlMap, type AlertTarget } from '../../core/alert-targets';
import { MonitoringIncident } from '../../core/alerts';
import { alertFixture, type AlertFixture } from '../helpers/alert-fixtures';

function incidentOf(fixture: AlertFixture, change: (i: Record<string, unknown>) => void = () => {}) {
  const payload = alertFixture(fixture);
  change(payload.incident);
  return MonitoringIncident.parse(payload.incident);
}

const labels = (i: Record<string, unknown>) => (i.resource as { labels: Record<string, string> }).labels;

const CASES: { what: string; incident: () => MonitoringIncident; want: AlertTarget | RegExp }[] = [
  {
    what: 'https_lb_rule names its backend service',
    incident: () => incidentOf('lb-5xx-open'),
    want: {
      kind: 'backendServices',
      project: 'demo-project',
      backendServices: ['web-bs'],
      via: 'resource.labels.backend_target_name',
    },
  },
  {
    what: 'internal_http_lb_rule the same way',
    incident: () =>
      incidentOf('lb-5xx-open', (i) => ((i.resource as { type: string }).type = 'internal_http_lb_rule')),
    want: {
      kind: 'backendServices',
      project: 'demo-project',
      backendServices: ['web-bs'],
      via: 'resource.labels.backend_target_name',
    },
  },
  {
    what: 'internal_http_lb_rule in us-central1: the regional backend service, with its region',
    incident: () =>
      incidentOf('lb-5xx-open', (i) => {
        (i.resource as { type: string }).type = 'internal_http_lb_rule';
        labels(i).region = 'us-central1';
      }),
    want: {
      kind: 'backendServices',
      project: 'demo-project',
      backendServices: ['web-bs'],
      via: 'resource.labels.backend_target_name',
      region: 'us-central1',
    },
  },
  {
    what: 'http_external_regional_lb_rule in us-east1: the regional backend service, with its region',
    incident: () =>
      incidentOf('lb-5xx-open', (i) => {
        (i.resource as { type: string }).type = 'http_external_regional_lb_rule';
        labels(i).region = 'us-east1';
      }),
    want: {
      kind: 'backendServices',
      project: 'demo-project',
      backendServices: ['web-bs'],
      via: 'resource.labels.backend_target_name',
      region: 'us-east1',
    },
  },
  {
    what: 'http_external_regional_lb_rule whose target is a backend bucket: not lbmedic’s',
    incident: () =>
      incidentOf('lb-5xx-open', (i) => {
        (i.resource as { type: string }).type = 'http_external_regional_lb_rule';
        labels(i).backend_target_type = 'BACKEND_BUCKET';
      }),
    want: {
      kind: 'unmapped',
      reason:
        'the backend target is a BACKEND_BUCKET, not a backend service; lbmedic heals backend services only',
    },
  },
  {
    what: 'https_lb_rule in region global: no region',
    incident: () => incidentOf('lb-5xx-open', (i) => (labels(i).region = 'global')),
    want: {
      kind: 'backendServices',
      project: 'demo-project',
      backendServices: ['web-bs'],
      via: 'resource.labels.backend_target_name',
    },
  },
  {
    what: 'backend UNKNOWN (no healthy backend picked): the URL map',
    incident: () => incidentOf('url-map-only-open'),
    want: {
      kind: 'urlMap',
      project: 'demo-project',
      urlMap: 'shop-map',
      via: 'resource.labels.url_map_name',
    },
  },
  {
    what: 'log-match alert on http_load_balancer: backend_service_name',
    incident: () => incidentOf('failed-to-pick-backend-open'),
    want: {
      kind: 'backendServices',
      project: 'demo-project',
      backendServices: ['api-bs'],
      via: 'resource.labels.backend_service_name',
    },
  },
  {
    what: 'log-match alert with the extracted labels only',
    incident: () =>
      incidentOf('failed-to-pick-backend-open', (i) => {
        i.resource = { type: 'http_load_balancer', labels: {} };
      }),
    want: {
      kind: 'backendServices',
      project: 'demo-project',
      backendServices: ['api-bs'],
      via: 'metric.labels.backend_service_name',
    },
  },
  {
    what: 'policy user labels win, with their own project',
    incident: () => incidentOf('uptime-labelled-open'),
    want: {
      kind: 'backendServices',
      project: 'shop-prod-4711',
      backendServices: ['shop-bs'],
      via: 'policy_user_labels.lbmedic_backend_service',
    },
  },
  {
    what: 'policy user label lbmedic_url_map',
    incident: () =>
      incidentOf('vm-cpu-open', (i) => {
        i.policy_user_labels = { lbmedic_url_map: 'web-map' };
      }),
    want: {
      kind: 'urlMap',
      project: 'demo-project',
      urlMap: 'web-map',
      via: 'policy_user_labels.lbmedic_url_map',
    },
  },
  {
    what: 'a VM CPU alert is unmappable, with a reason that says how to route it',
    incident: () => incidentOf('vm-cpu-open'),
    want: /resource type "gce_instance" names no backend service.*lbmedic_backend_service=<backend service>/,
  },
  {
    what: 'a backend bucket is not a backend service',
    incident: () => incidentOf('lb-5xx-open', (i) => (labels(i).backend_target_type = 'BACKEND_BUCKET')),
    want: /backend target is a BACKEND_BUCKET/,
  },
  {
    what: 'neither backend nor URL map matched',
    incident: () =>
      incidentOf('url-map-only-open', (i) => {
        labels(i).url_map_name = 'UNMATCHED';
      }),
    want: /names no backend service or URL map/,
  },
  {
    what: 'a name that is no Compute name',
    incident: () => incidentOf('lb-5xx-open', (i) => (labels(i).backend_target_name = 'Web_BS')),
    want: /resource\.labels\.backend_target_name "Web_BS" is not a valid backend service name/,
  },
  {
    what: 'no project anywhere',
    incident: () =>
      incidentOf('lb-5xx-open', (i) => {
        delete labels(i).project_id;
        delete i.scoping_project_id;
      }),
    want: /names no project/,
  },
  {
    what: 'the scoping project when the resource has none',
    incident: () => incidentOf('lb-5xx-open', (i) => delete labels(i).project_id),
    want: {
      kind: 'backendServices',
      project: 'demo-project',
      backendServices: ['web-bs'],
      via: 'resource.labels.backend_target_name',
    },
  },
];

for (const c of CASES) {
  test(`target: ${c.what}`, () => {
    const got = alertTarget(c.incident());
    if (c.want instanceof RegExp) {
      assert.equal(got.kind, 'unmapped');
      assert.match(got.kind === 'unmapped' ? got.reason : '', c.want);
    } else {
      assert.deepEqual(got, c.want);
    }
  });
}

const BS = 'https://www.googleapis.com/compute/v1/projects/demo-project/global/backendServices';

test('URL map: every backend service it can route to, sorted and unique; buckets left out', () => {
  assert.deepEqual(
    backendServicesOfUrlMap({
      defaultService: `${BS}/web-bs`,
      pathMatchers: [
        {
          defaultService: `${BS}/web-bs`,
          pathRules: [
            { service: `${BS}/api-bs` },
            {
              service:
                'https://www.googleapis.com/compute/v1/projects/demo-project/global/backendBuckets/static',
            },
          ],
          routeRules: [{ routeAction: { weightedBackendServices: [{ backendService: `${BS}/canary-bs` }] } }],
        },
      ],
    }),
    ['api-bs', 'canary-bs', 'web-bs'],
  );
  assert.deepEqual(
    backendServicesOfUrlMap({
      defaultRouteAction: { weightedBackendServices: [{ backendService: `${BS}/a-bs` }] },
    }),
    ['a-bs'],
  );
  assert.deepEqual(backendServicesOfUrlMap({}), []);
});
