/** The report layer: results JSON in, HTML and comparisons out. Depends on data (measure/), never on systems. */
export { buildChartGroups, buildPercentileChart, type ChartGroup, type ChartSpec, type Series, type SeriesPoint } from './charts.ts';
export {
  type Comparison,
  comparisonExitCode,
  comparisonSummary,
  type CompareOptions,
  compareResults,
  DEFAULT_COMPARE_OPTIONS,
  formatComparison,
  type MetricChange,
  type PointChange,
  type Verdict,
} from './compare.ts';
export { renderComparisonReport, writeComparisonReport } from './compare-report.ts';
export { claimsMarkdown, type ClaimResult, evaluateClaims } from './claims.ts';
export { ReportInputError } from './errors.ts';
export { checkResults, parseResults, readResults } from './read.ts';
export { renderRunReport, writeRunReport } from './run-report.ts';
export { renderIndex, scanBench, scanRuns, writeIndex } from './runs-index.ts';
export { chartVerdict } from './verdicts.ts';
