import { type ArgumentMetadata, Injectable, type ValidationError, ValidationPipe } from '@nestjs/common';
import { ApiError, ErrorCode } from './errors.js';

/** When a field is missing or of the wrong type, only that is worth saying (not its size limits too). */
const SHAPE_CONSTRAINTS = ['whitelistValidation', 'isDefined', 'isArray', 'isString', 'isBoolean', 'isObject', 'isInt', 'isNumber', 'isIn', 'isEnum'];

function constraintTexts(constraints: Record<string, string> = {}): string[] {
  const shape = SHAPE_CONSTRAINTS.find((key) => key in constraints);
  return shape ? [constraints[shape]] : Object.values(constraints);
}

function describe(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = constraintTexts(error.constraints).map((text) =>
      // class-validator names the leaf property; name the full path for nested objects.
      parent && text.startsWith(`${error.property} `) ? `${field}${text.slice(error.property.length)}` : text,
    );
    return [...own, ...describe(error.children ?? [], field)];
  });
}

/**
 * Request validation for every REST and GraphQL input: class-validator DTOs, no type coercion, unknown
 * fields rejected. Failures become `InvalidRequest` whose message names the field.
 */
@Injectable()
export class RequestValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      transformOptions: { enableImplicitConversion: false },
      validationError: { target: false, value: false },
      exceptionFactory: (errors) => new ApiError(ErrorCode.InvalidRequest, describe(errors).join('; ') || 'Request is not valid'),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // A body that is not a JSON object (an array, a string, null) has no fields to validate.
    if ((metadata.type === 'body' || metadata.type === 'query') && metadata.metatype && this.toValidate(metadata)) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new ApiError(ErrorCode.InvalidRequest, `Request ${metadata.type} must be a JSON object`);
      }
    }
    return super.transform(value, metadata);
  }
}
