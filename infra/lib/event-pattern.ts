/**
 * The EventBridge pattern of a route, derived from the routing table.
 *
 * Events travel with `source` = EVENT_SOURCE, `detail-type` = event name and
 * `detail` = payload plus `meta`, so a route's condition on a payload field
 * becomes a content filter on `detail.<field>`.
 */
import { EVENT_SOURCE } from "@shared/events/catalogue";
import type { Route } from "@shared/events/routing";

export interface RoutePattern {
  source: string[];
  detailType: string[];
  detail?: Record<string, Array<boolean | string | number>>;
}

export function eventPatternFor(route: Route): RoutePattern {
  const pattern: RoutePattern = { source: [EVENT_SOURCE], detailType: [...route.events] };
  if (route.condition) pattern.detail = { [route.condition.field]: [route.condition.equals] };
  return pattern;
}
