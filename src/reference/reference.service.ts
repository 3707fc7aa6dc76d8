import { Injectable } from '@nestjs/common';
import { ApiError, type ErrorBody, ErrorCode } from '../common/errors.js';
import { LruMap } from '../common/lru.js';
import { parseReference } from './parse.js';
import type { ParsedReference } from './parsed-reference.js';

export type ParseOutcome =
  | { ok: true; reference: ParsedReference }
  | { ok: false; input: string; error: ErrorBody };

/** How many answers `parseShared` keeps, and the longest input it keeps one for (a valid reference is far shorter). */
const SHARED_ANSWERS = 4_096;
const SHARED_INPUT_MAX = 512;

/** The transports' entry to the pure parser: turns parse failures into the error model. */
@Injectable()
export class ReferenceService {
  private readonly sharedAnswers = new LruMap<string, Readonly<ParsedReference>>(SHARED_ANSWERS);

  /** Parses one reference; an invalid one is an `InvalidReference` error with Kubernetes' text. */
  parse(input: string): ParsedReference {
    const result = parseReference(input);
    if (!result.ok) throw new ApiError(ErrorCode.InvalidReference, result.error);
    return result.reference;
  }

  /**
   * `parse`, with the answers to recent inputs kept: callers ask about the same few images over and over, and
   * the same frozen object comes back for the same input, so a transport may keep its serialised form with it
   * (see DirectRoute.sharedAnswers). Bounded in count and input length, so hostile inputs cannot grow it.
   */
  parseShared(input: string): Readonly<ParsedReference> {
    const kept = this.sharedAnswers.get(input);
    if (kept !== undefined) return kept;
    const answer = Object.freeze(this.parse(input));
    if (input.length <= SHARED_INPUT_MAX) this.sharedAnswers.set(input, answer);
    return answer;
  }

  /** Parses many references; each answer is `ok` or carries its error, in input order. */
  parseMany(inputs: readonly string[]): ParseOutcome[] {
    return inputs.map((input) => {
      const result = parseReference(input);
      return result.ok
        ? result
        : { ok: false as const, input, error: { code: ErrorCode.InvalidReference, message: result.error } };
    });
  }
}
