/** Every API route, in one list: router, OpenAPI and the fuzz test read it. */
import type { ApiRoute } from "./apiRoute";
import { resourceRoutes } from "./routes/resources";
import { batchRoutes } from "./routes/batches";
import { graphRoutes } from "./routes/graph";
import { searchRoutes } from "./routes/search";
import { userRoutes } from "./routes/users";
import { systemRoutes } from "./routes/system";

export const apiRoutes: ApiRoute[] = [];
apiRoutes.push(
  ...systemRoutes(() => apiRoutes),
  ...batchRoutes,
  ...resourceRoutes,
  ...graphRoutes,
  ...searchRoutes,
  ...userRoutes,
);
