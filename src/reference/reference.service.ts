import { Injectable } from '@nestjs/common';
import { ApiError, type ErrorBody, ErrorCode } from '../common/errors.js';
import { parseReference } from './parse.js';
import type { ParsedReference } from './parsed-reference.js';

export type ParseOutcome =
  | { ok: true; reference: ParsedReference }
  | { ok: false; input: string; error: ErrorBody };

/** The transports' entry to the pure parser: turns parse failures into the error model. */
@Injectable()
export class ReferenceService {
  /** Parses one reference; an invalid one is an `InvalidReference` error with Kubernetes' text. */
  parse(input: string): ParsedReference {
    const result = parseReference(input);
    if (!result.ok) throw new ApiError(ErrorCode.InvalidReference, result.error);
    return result.reference;
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
