import { Injectable } from '@nestjs/common';
import { ApiError, type ErrorBody, ErrorCode } from '../common/errors.js';
import { LruMap } from '../common/lru.js';
import { parseReference } from './parse.js';
import type { ParsedReference } from './parsed-reference.js';

export type ParseOutcome =
  | { ok: true; reference: ParsedReference }
  | { ok: false; input: string; error: ErrorBody };

/**
 * How many answers the service keeps (one batch of the largest size fits), and the longest input it keeps
 * one for (a valid reference is far shorter).
 */
const KEPT_ANSWERS = 10_000;
const KEPT_INPUT_MAX = 512;

/** The transports' entry to the pure parser: turns parse failures into the error model. */
@Injectable()
export class ReferenceService {
  /**
   * Recent inputs' outcomes, deeply frozen: callers ask about the same images over and over, and a repeated
   * input gets the same object back, so a transport may keep its serialised form with it (DirectRoute's
   * sharedAnswers; json-buffer for batches). Bounded in count and input length: hostile inputs cannot grow it.
   */
  private readonly kept = new LruMap<string, ParseOutcome>(KEPT_ANSWERS);

  /** Parses one reference; an invalid one is an `InvalidReference` error with Kubernetes' text. */
  parse(input: string): ParsedReference {
    const result = parseReference(input);
    if (!result.ok) throw new ApiError(ErrorCode.InvalidReference, result.error);
    return result.reference;
  }

  /** `parse`, answering a repeated input with the same frozen object (see `kept`). */
  parseShared(input: string): Readonly<ParsedReference> {
    const outcome = this.outcomeOf(input);
    if (!outcome.ok) throw new ApiError(ErrorCode.InvalidReference, outcome.error.message);
    return outcome.reference;
  }

  /** Parses many references; each answer is `ok` or carries its error, in input order (frozen, shared: see `kept`). */
  parseMany(inputs: readonly string[]): readonly ParseOutcome[] {
    return inputs.map((input) => this.outcomeOf(input));
  }

  private outcomeOf(input: string): ParseOutcome {
    const kept = this.kept.get(input);
    if (kept !== undefined) return kept;
    const result = parseReference(input);
    const outcome: ParseOutcome = result.ok
      ? { ok: true, reference: Object.freeze(result.reference) }
      : { ok: false, input, error: Object.freeze({ code: ErrorCode.InvalidReference, message: result.error }) };
    Object.freeze(outcome);
    if (input.length <= KEPT_INPUT_MAX) this.kept.set(input, outcome);
    return outcome;
  }
}
