/**
 * The remediation workflow's messages: its signals, update and query. Declared once here so the
 * receiver, the CLI and tests import them without the workflow bodies. The types they carry live in
 * core/model.ts.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import {
  REMEDIATION_SIGNALS,
  type ApprovalRequest,
  type ApprovalResult,
  type Incident,
  type RemediationStatus,
} from '../core/model';

/** An alert for a backend already being remediated: attached to the running workflow. */
export const alertSignal = defineSignal<[Incident]>(REMEDIATION_SIGNALS.alert);
export const approveSignal = defineSignal<[ApprovalRequest]>('approve');
export const rejectSignal = defineSignal<[ApprovalRequest]>('reject');
/** Like the approve signal, but the caller gets an answer (validator: who may approve, is anything pending). */
export const approveUpdate = defineUpdate<ApprovalResult, [ApprovalRequest]>('approve');
export const statusQuery = defineQuery<RemediationStatus>('status');
/** The kill switch was turned off: a run held by it reads it again now instead of at its next check. */
export const recheckSignal = defineSignal(REMEDIATION_SIGNALS.recheck);
