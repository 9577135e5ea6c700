/**
 * Custom search attributes lbmedic writes on every remediation (at most three KeywordList ones: the
 * dev server's limit; incident ids live in the memo instead), so the Temporal UI and the visibility
 * API answer "what did lbmedic change, where, and who approved it". Registered when the dev server
 * starts (`lbmedic up`, tests) and by `lbmedic setup temporal` on a real cluster.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const SA = {
  project: defineSearchAttributeKey('LbmedicProject', SearchAttributeType.KEYWORD),
  backendService: defineSearchAttributeKey('LbmedicBackendService', SearchAttributeType.KEYWORD),
  rootCause: defineSearchAttributeKey('LbmedicRootCause', SearchAttributeType.KEYWORD_LIST),
  action: defineSearchAttributeKey('LbmedicAction', SearchAttributeType.KEYWORD_LIST),
  phase: defineSearchAttributeKey('LbmedicPhase', SearchAttributeType.KEYWORD),
  outcome: defineSearchAttributeKey('LbmedicOutcome', SearchAttributeType.KEYWORD),
  approver: defineSearchAttributeKey('LbmedicApprover', SearchAttributeType.KEYWORD_LIST),
} as const;

export const ALL_SEARCH_ATTRIBUTES = Object.values(SA);

/** `--search-attribute Name=Type` arguments for `temporal server start-dev` / `operator search-attribute create`. */
export function searchAttributeArgs(): string[] {
  const cliType: Record<string, string> = { KEYWORD: 'Keyword', KEYWORD_LIST: 'KeywordList' };
  return ALL_SEARCH_ATTRIBUTES.flatMap((k) => [
    '--search-attribute',
    `${k.name}=${cliType[k.type] ?? k.type}`,
  ]);
}
