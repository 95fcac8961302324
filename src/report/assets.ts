/**
 * What every page inlines so it opens offline: chart.js's UMD build, read once from node_modules. The
 * renderers stay pure with respect to their input; this library text is a constant of the installation.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

let chartJs: string | undefined;

/** chart.js's UMD build (it defines `window.Chart`); the package exports no path to it, so go via its main file. */
export function chartJsSource(): string {
  if (chartJs === undefined) {
    const main = createRequire(import.meta.url).resolve('chart.js');
    chartJs = readFileSync(join(dirname(main), 'chart.umd.min.js'), 'utf8');
  }
  return chartJs;
}
