/** Task name → task. A route whose task is missing here fails `test/unit/routing.test.ts`. */
import type { TaskName } from "../events/routing";
import type { TaskDefinition } from "./types";
import { ingestionTask } from "./ingestion";
import { embeddingTask } from "./embedding";
import { searchIndexTask } from "./searchIndex";
import { qualityTask } from "./quality";
import { classificationTask } from "./classification";
import { graphEdgesTask } from "./graphEdges";
import { cacheInvalidationTask } from "./cacheInvalidation";
import { profileRefreshTask } from "./profileRefresh";
import { authorNormalizationTask } from "./authorNormalization";
import { tagSuggestionsTask } from "./tagSuggestions";

export const taskRegistry: Record<TaskName, TaskDefinition> = {
  ingestion: ingestionTask,
  embedding: embeddingTask,
  "search-index": searchIndexTask,
  quality: qualityTask,
  classification: classificationTask,
  "graph-edges": graphEdgesTask,
  "cache-invalidation": cacheInvalidationTask,
  "profile-refresh": profileRefreshTask,
  "author-normalization": authorNormalizationTask,
  "tag-suggestions": tagSuggestionsTask,
};

export function taskFor(name: TaskName): TaskDefinition {
  return taskRegistry[name];
}
