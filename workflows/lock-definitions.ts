/**
 * The resource lock's messages (core/one-writer.ts names them): declared once so the lock workflow,
 * the remediation that asks for locks and tests share them.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import {
  LOCK_SIGNALS,
  type LastWrite,
  type LockAnswer,
  type LockRelease,
  type LockRequest,
  type Requester,
} from '../core/one-writer';

export const lockRequestSignal = defineSignal<[LockRequest]>(LOCK_SIGNALS.request);
export const lockReleaseSignal = defineSignal<[LockRelease]>(LOCK_SIGNALS.release);
/** Sent by the lock to the remediation that asked. */
export const lockAnswerSignal = defineSignal<[LockAnswer]>(LOCK_SIGNALS.answer);

/** What a lock holds, as its query shows it. */
export interface LockState {
  key: string;
  holder?: Requester & { since: string };
  queue: Requester[];
  lastWrite?: LastWrite;
  /** Holders the lock took back because their run had ended. */
  reclaimed: string[];
}
export const lockStateQuery = defineQuery<LockState>('lockState');
