/**
 * The alert `lbmedic demo` posts (and scripts/bench.ts sends by the hundred): what Cloud Monitoring
 * sends when lbmedic's 5xx policy opens an incident on a load balancer.
 */
import { randomBytes } from 'node:crypto';
import { MANUAL_APPROVAL_LABEL } from '../core/model';

export interface DemoAlertInput {
  project: string;
  backendService: string;
  urlMap: string;
  incidentId: string;
  /** Unix seconds. */
  startedAt: number;
  manual: boolean;
  scenario: string;
}

/** A fresh Cloud Monitoring incident id (they look like `0.lq7c2v5b8n3m`). */
export function newIncidentId(): string {
  const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz';
  return `0.${[...randomBytes(12)].map((b) => alphabet[b % alphabet.length]).join('')}`;
}

/**
 * What Cloud Monitoring sends (schema 1.2) when lbmedic's "5xx ratio" policy (`lbmedic setup alerts`)
 * opens an incident on an external ALB's backend service.
 */
export function demoAlert(a: DemoAlertInput): Record<string, unknown> {
  const labels = `{project_id=${a.project}, backend_target_name=${a.backendService}, url_map_name=${a.urlMap}, backend_target_type=BACKEND_SERVICE}`;
  const lbFilter =
    'resource.type = "https_lb_rule" AND metric.type = "loadbalancing.googleapis.com/https/request_count"';
  return {
    incident: {
      incident_id: a.incidentId,
      scoping_project_id: a.project,
      url: `https://console.cloud.google.com/monitoring/alerting/incidents/${a.incidentId}?project=${a.project}`,
      started_at: a.startedAt,
      ended_at: null,
      state: 'open',
      summary: `Request count ratio for ${a.project} https_lb_rule labels ${labels} is above the threshold of 0.050 with a value of 1.000.`,
      apigee_url: 'https://apigee.google.com',
      observed_value: '1.000',
      resource: {
        type: 'https_lb_rule',
        labels: {
          project_id: a.project,
          backend_target_name: a.backendService,
          backend_target_type: 'BACKEND_SERVICE',
          url_map_name: a.urlMap,
        },
      },
      resource_type_display_name: 'Google Cloud HTTP/S Load Balancing Rule',
      resource_id: '',
      resource_display_name: `${a.project} https_lb_rule`,
      resource_name: `${a.project} Google Cloud HTTP/S Load Balancing Rule labels ${labels}`,
      metric: {
        type: 'loadbalancing.googleapis.com/https/request_count',
        displayName: 'Request count',
        labels: { response_code_class: '500' },
      },
      metadata: { system_labels: {}, user_labels: {} },
      policy_name: 'lbmedic: load balancer 5xx ratio',
      policy_user_labels: {
        managed_by: 'lbmedic',
        lbmedic_role: 'lb-5xx-ratio',
        ...(a.manual ? { [MANUAL_APPROVAL_LABEL]: 'manual' } : {}),
      },
      documentation: {
        content: `The load balancer answers 5xx to more than 5% of requests (lbmedic demo, scenario ${a.scenario}).`,
        mime_type: 'text/markdown',
        subject: `lbmedic: 5xx on ${a.project}/${a.backendService}`,
      },
      condition: {
        name: `projects/${a.project}/alertPolicies/1234567890123456789/conditions/9876543210987654321`,
        displayName: '5xx ratio above 5% (external ALB)',
        conditionThreshold: {
          filter: `${lbFilter} AND metric.labels.response_code_class = 500`,
          denominatorFilter: lbFilter,
          comparison: 'COMPARISON_GT',
          thresholdValue: 0.05,
          duration: '120s',
          trigger: { count: 1 },
        },
      },
      condition_name: '5xx ratio above 5% (external ALB)',
      threshold_value: '0.05',
    },
    version: '1.2',
  };
}
