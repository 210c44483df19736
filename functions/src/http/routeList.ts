/** Every API route, in one list: router, OpenAPI and the fuzz test read it. */
import type { ApiRoute } from "./apiRoute";
import { resourceRoutes } from "./routes/resources";
import { categoryRoutes } from "./routes/categories";
import { batchRoutes } from "./routes/batches";
import { graphRoutes } from "./routes/graph";
import { searchRoutes } from "./routes/search";
import { userRoutes } from "./routes/users";
import { cacheAdminRoutes } from "./routes/cacheAdmin";
import { systemRoutes } from "./routes/system";
import { monitoringRoutes } from "./routes/monitoring";
import { tagRoutes } from "./routes/tags";
import { transferRoutes } from "./routes/transfer";
import { reprocessRoutes } from "./routes/reprocess";

export const apiRoutes: ApiRoute[] = [];
apiRoutes.push(
  ...systemRoutes(() => apiRoutes),
  ...batchRoutes,
  ...reprocessRoutes,
  ...resourceRoutes,
  ...categoryRoutes,
  ...tagRoutes,
  ...graphRoutes,
  ...searchRoutes,
  ...userRoutes,
  ...cacheAdminRoutes,
  ...monitoringRoutes,
  ...transferRoutes,
);
