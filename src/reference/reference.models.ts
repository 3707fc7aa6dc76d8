import { ArgsType, Field, ObjectType, registerEnumType } from '@nestjs/graphql';
import { ArrayMaxSize, ArrayMinSize, IsString } from 'class-validator';
import { enumObjectOf } from '../common/enum-object.js';
import { PULL_POLICIES } from './parsed-reference.js';
import { MAX_REFERENCES_PER_REQUEST } from './reference.dto.js';

/** The GraphQL `PullPolicy` enum, built from PULL_POLICIES (each value named by itself). */
export const PullPolicyEnum = enumObjectOf(PULL_POLICIES);
registerEnumType(PullPolicyEnum, { name: 'PullPolicy', description: 'imagePullPolicy values Kubernetes accepts' });

@ObjectType('ParsedReference', { description: 'An image reference parsed exactly as Kubernetes does' })
export class ParsedReferenceModel {
  @Field() input: string;
  @Field({ description: 'domain/path, fully normalised' }) name: string;
  @Field() domain: string;
  @Field() path: string;
  @Field(() => String, { nullable: true }) tag: string | null;
  @Field(() => String, { nullable: true }) digest: string | null;
  @Field({ description: 'name[:tag][@digest]' }) canonical: string;
  @Field({ description: 'What docker prints' }) familiar: string;
  @Field() familiarName: string;
  @Field({ description: 'What a runtime pulls' }) pullReference: string;
  @Field(() => PullPolicyEnum) defaultPullPolicy: string;
}

@ObjectType('Error', { description: 'An error of the service\'s error model' })
export class ErrorModel {
  @Field() code: string;
  @Field() message: string;
}

@ObjectType('ParseReferenceResult')
export class ParseReferenceResultModel {
  @Field() ok: boolean;
  @Field() input: string;
  @Field(() => ParsedReferenceModel, { nullable: true }) reference: ParsedReferenceModel | null;
  @Field(() => ErrorModel, { nullable: true }) error: ErrorModel | null;
}

@ArgsType()
export class ParseReferencesArgs {
  @Field(() => [String])
  @ArrayMinSize(1, { message: 'references must contain at least 1 item' })
  @ArrayMaxSize(MAX_REFERENCES_PER_REQUEST, { message: `references must contain at most ${MAX_REFERENCES_PER_REQUEST} items` })
  @IsString({ each: true })
  references: string[];
}
