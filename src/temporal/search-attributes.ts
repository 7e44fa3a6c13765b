import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Custom search attributes on every pipeline run; registered on the server by provisioning. */
export const RetrainModel = defineSearchAttributeKey('RetrainModel', SearchAttributeType.KEYWORD);
export const RetrainTrigger = defineSearchAttributeKey('RetrainTrigger', SearchAttributeType.KEYWORD_LIST);
export const RetrainOutcome = defineSearchAttributeKey('RetrainOutcome', SearchAttributeType.KEYWORD);
export const RetrainStep = defineSearchAttributeKey('RetrainStep', SearchAttributeType.KEYWORD);
export const RetrainCandidateVersion = defineSearchAttributeKey('RetrainCandidateVersion', SearchAttributeType.INT);
export const RetrainDataFingerprint = defineSearchAttributeKey('RetrainDataFingerprint', SearchAttributeType.KEYWORD);

export const ALL_SEARCH_ATTRIBUTES = [
  RetrainModel,
  RetrainTrigger,
  RetrainOutcome,
  RetrainStep,
  RetrainCandidateVersion,
  RetrainDataFingerprint,
] as const;

const CLI_TYPE_NAMES: Record<string, string> = {
  [SearchAttributeType.KEYWORD]: 'Keyword',
  [SearchAttributeType.KEYWORD_LIST]: 'KeywordList',
  [SearchAttributeType.INT]: 'Int',
  [SearchAttributeType.TEXT]: 'Text',
};

/** `Name=Type` pairs for `temporal server start-dev --search-attribute`. */
export function searchAttributeFlags(): string[] {
  return ALL_SEARCH_ATTRIBUTES.flatMap((k) => ['--search-attribute', `${k.name}=${CLI_TYPE_NAMES[k.type]}`]);
}
