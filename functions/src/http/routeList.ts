/** Every API route, in one list: router, OpenAPI and the fuzz test read it. */
import type { ApiRoute } from "./apiRoute";
import { resourceRoutes } from "./routes/resources";
import { searchRoutes } from "./routes/search";
import { systemRoutes } from "./routes/system";

export const apiRoutes: ApiRoute[] = [];
apiRoutes.push(...systemRoutes(() => apiRoutes), ...resourceRoutes, ...searchRoutes);
