/** Errors of the report layer: bad input files, with a stable code and a message naming the file. */
import { MuxbenchError } from '../errors.ts';

export type ReportErrorCode =
  /** the file is missing or unreadable, or not JSON */
  | 'MUX_ERR_RESULTS_READ'
  /** the file is JSON but not a muxbench.results/1 file */
  | 'MUX_ERR_RESULTS_SCHEMA'
  /** two results files that cannot be compared (different scenarios) */
  | 'MUX_ERR_RESULTS_MISMATCH';

export class ReportInputError extends MuxbenchError {
  constructor(
    readonly code: ReportErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ReportInputError';
  }
}
