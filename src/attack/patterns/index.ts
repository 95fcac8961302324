/**
 * Every attack pattern, in the order a run takes them: the 2019 set, rapid reset, the 2024 CONTINUATION
 * floods, then the HPACK and holding patterns. Patterns that hold connections for seconds come last.
 */
import continuationFlood from './continuation-flood.ts';
import dataDribble from './data-dribble.ts';
import emptyContinuationFlood from './empty-continuation-flood.ts';
import emptyFrames from './empty-frames.ts';
import hpackBomb from './hpack-bomb.ts';
import hpackLongInteger from './hpack-long-integer.ts';
import internalDataBuffering from './internal-data-buffering.ts';
import pingFlood from './ping-flood.ts';
import rapidReset from './rapid-reset.ts';
import resetFlood from './reset-flood.ts';
import resourceLoop from './resource-loop.ts';
import settingsFlood from './settings-flood.ts';
import slowloris from './slowloris.ts';
import type { Pattern } from './types.ts';
import zeroLengthHeaders from './zero-length-headers.ts';
import zeroWindowHold from './zero-window-hold.ts';

export const PATTERNS: readonly Pattern[] = [
  pingFlood,
  settingsFlood,
  resetFlood,
  zeroLengthHeaders,
  emptyFrames,
  internalDataBuffering,
  dataDribble,
  resourceLoop,
  rapidReset,
  continuationFlood,
  emptyContinuationFlood,
  hpackBomb,
  hpackLongInteger,
  zeroWindowHold,
  slowloris,
];

export function patternById(id: string): Pattern | undefined {
  return PATTERNS.find((p) => p.id === id);
}

export type { Answer, AnswerGrade, AttackContext, Observation, Pattern, PatternInfo, TargetPaths } from './types.ts';
