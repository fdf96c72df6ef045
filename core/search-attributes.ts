// Custom search attributes the compose workflows keep current, so operators can filter composes
// in the Temporal UI (e.g. ComposeState='done' AND ComposeOwner='alice').
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const ComposeState = defineSearchAttributeKey('ComposeState', SearchAttributeType.KEYWORD);
export const ComposeOwner = defineSearchAttributeKey('ComposeOwner', SearchAttributeType.KEYWORD);
export const ComposeSourceType = defineSearchAttributeKey('ComposeSourceType', SearchAttributeType.KEYWORD);
export const ComposeSource = defineSearchAttributeKey('ComposeSource', SearchAttributeType.KEYWORD);

export const ALL_SEARCH_ATTRIBUTES = [ComposeState, ComposeOwner, ComposeSourceType, ComposeSource];
