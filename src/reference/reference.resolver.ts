import { Args, Query, Resolver } from '@nestjs/graphql';
import type { ParsedReference } from './parsed-reference.js';
import { ParsedReferenceModel, ParseReferenceResultModel, ParseReferencesArgs } from './reference.models.js';
import { ReferenceService } from './reference.service.js';

@Resolver()
export class ReferenceResolver {
  constructor(private readonly references: ReferenceService) {}

  @Query(() => ParsedReferenceModel, {
    nullable: true, // a failure nulls this field only, not the sibling fields of the query
    description: 'Parse one reference; failure is an InvalidReference error',
  })
  parseReference(@Args('reference') reference: string): ParsedReference {
    return this.references.parse(reference);
  }

  @Query(() => [ParseReferenceResultModel], { description: 'Parse 1 to 10 000 references, in input order' })
  parseReferences(@Args() args: ParseReferencesArgs): ParseReferenceResultModel[] {
    return this.references.parseMany(args.references).map((outcome) =>
      outcome.ok
        ? { ok: true, input: outcome.reference.input, reference: outcome.reference, error: null }
        : { ok: false, input: outcome.input, reference: null, error: outcome.error },
    );
  }
}
