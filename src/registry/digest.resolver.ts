import { Args, Context, Query, Resolver } from '@nestjs/graphql';
import { ApiError, ErrorCode } from '../common/errors.js';
import { DigestLoaders } from './digest.loader.js';
import { DigestAnswerModel, DigestArgs, DigestResultModel, DigestsArgs } from './digest.models.js';
import type { DigestAnswer } from './digest.service.js';

@Resolver()
export class DigestResolver {
  constructor(private readonly loaders: DigestLoaders) {}

  @Query(() => DigestAnswerModel, {
    nullable: true, // a failure nulls this field only, not its siblings
    description: 'Resolve an image tag to its digest; many digest fields in one query make one lookup per distinct image',
  })
  digest(@Args() args: DigestArgs, @Context() context: object): Promise<DigestAnswer> {
    return this.loaders.forRequest(context, args.platform ?? null, undefined).load(args.image);
  }

  @Query(() => [DigestResultModel], { description: 'Resolve 1 to 1 000 images, in input order' })
  async digests(@Args() args: DigestsArgs, @Context() context: object): Promise<DigestResultModel[]> {
    const answers = await this.loaders.forRequest(context, args.platform ?? null, args.pullSecrets ?? undefined).loadMany(args.images);
    return answers.map((answer, i) => {
      if (!(answer instanceof Error)) return { ok: true, input: args.images[i], answer, error: null };
      const error = answer instanceof ApiError ? answer : new ApiError(ErrorCode.InternalError, 'Internal error');
      return { ok: false, input: args.images[i], answer: null, error: error.toBody() };
    });
  }
}
