import { readFileSync } from 'node:fs';

/** A file of the dashboard: its bytes and content type. */
export interface Asset {
  body: string;
  type: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** Every file the page is made of (nothing else in the folder is served). */
export const DASHBOARD_FILES = ['index.html', 'app.js', 'feed.js', 'render.js', 'format.js', 'style.css', 'favicon.svg'] as const;

let cache: ReadonlyMap<string, Asset> | undefined;

/**
 * The dashboard's static files, read once from `static/` beside this module (the build copies the
 * folder to `dist/`, and the package ships it): plain HTML, JS modules and CSS, no build step.
 *
 * @example
 * dashboardAssets().get('app.js'); // { body: '// The dashboard: ...', type: 'text/javascript; charset=utf-8' }
 */
export function dashboardAssets(): ReadonlyMap<string, Asset> {
  cache ??= new Map(
    DASHBOARD_FILES.map((name) => {
      const body = readFileSync(new URL(`./static/${name}`, import.meta.url), 'utf8');
      return [name, { body, type: TYPES[name.slice(name.lastIndexOf('.'))] ?? 'application/octet-stream' }];
    }),
  );
  return cache;
}
