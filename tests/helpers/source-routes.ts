// The source app's routes, read from its own router (not a hand list), so that the route fuzz
// generates requests for a route added tomorrow and fails if some route is never reached.
import type { Express } from 'express';

type Match = false | { path: string };
type Layer = {
  name: string;
  rawPath?: unknown;
  matchers: ((path: string) => Match)[];
  route?: { path: string; methods: Record<string, boolean> };
  handle: { stack?: Layer[] };
};

/** One endpoint: a method and route (`/api/submissions/:id`), or a mounted handler (`/static/*`, any method). */
export type SourceRoute = { method: string; pattern: string; matches(method: string, pathname: string): boolean };

/** What is left of `path` after `layer` matched its start (a route: all of it), or null; a path express cannot decode still reaches the layer (it answers 400 there). */
function consume(layer: Layer, path: string): string | null {
  if (!layer.route && layer.rawPath === '/') return path; // mounted at the root: every path, whole
  for (const matcher of layer.matchers) {
    let m: Match;
    try {
      m = matcher(path);
    } catch {
      return ''; // decodeParam threw: express refuses the request at this very layer
    }
    if (m) return path.slice(m.path.length);
  }
  return null;
}

function walk(stack: Layer[], prefix: string, outer: Layer[], into: SourceRoute[]): void {
  for (const layer of stack) {
    const chain = [...outer, layer];
    const at = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
    if (layer.route) {
      for (const method of Object.keys(layer.route.methods)) into.push(endpoint(method.toUpperCase(), `${prefix}${layer.route.path}`, chain, true));
    } else if (layer.handle.stack) {
      walk(layer.handle.stack, `${prefix}${at}`, chain, into);
    } else if (at) {
      // A middleware mounted at a path of its own (static files, a body parser): it answers or passes under that path, whatever the method.
      into.push(endpoint('ANY', `${prefix}${at}/*`, chain, false));
    }
  }
}

function endpoint(method: string, pattern: string, chain: Layer[], exact: boolean): SourceRoute {
  return {
    method,
    pattern,
    matches(m, pathname) {
      if (method !== 'ANY' && m !== method && !(method === 'GET' && m === 'HEAD')) return false;
      let rest: string | null = pathname;
      for (const layer of chain) {
        rest = consume(layer, rest === '' ? '/' : rest);
        if (rest === null) return false;
      }
      return !exact || rest === '' || rest === '/';
    },
  };
}

/** Every endpoint the app's router holds, in the order express tries them; a router mounted at "/" adds no prefix. */
export function routesOf(app: Express): SourceRoute[] {
  const routes: SourceRoute[] = [];
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '', [], routes);
  return routes;
}

/** The endpoint a request reaches first (by method and path, as express would route it), if any. */
export const routeOf = (routes: SourceRoute[], method: string, path: string): SourceRoute | undefined => {
  const pathname = path.split('?')[0]!;
  return routes.find((r) => r.method !== 'ANY' && r.matches(method, pathname)) ?? routes.find((r) => r.matches(method, pathname));
};
