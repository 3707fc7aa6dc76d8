import { Body, Controller, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBody, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { RequireScopes } from '../auth/scopes.js';
import { admissionReviewAnswer, readAdmissionReview } from './admission-review.js';
import { AdmissionService, type Webhook } from './admission.service.js';
import { ExternalDataService, type ProviderResponse } from './external-data.service.js';

const REVIEW_BODY = { schema: { type: 'object', description: 'admission.k8s.io/v1 AdmissionReview with a request', additionalProperties: true } };

@ApiTags('admission')
@RequireScopes('admission')
@Controller('v1')
export class AdmissionController {
  constructor(
    private readonly admission: AdmissionService,
    private readonly externalData: ExternalDataService,
  ) {}

  @Post('admission/mutate')
  @HttpCode(200)
  @ApiOperation({ operationId: 'admissionMutate', summary: 'Mutating webhook: plugin mutations and imagePullPolicy defaulting as a JSONPatch; warn verdicts as warnings' })
  @ApiQuery({ name: 'timeout', required: false, description: 'Set by the API server (`10s`); caps the time budget' })
  @ApiBody(REVIEW_BODY)
  @ApiOkResponse({ description: 'AdmissionReview with response' })
  @ApiBadRequestResponse({ description: 'InvalidRequest: not an AdmissionReview' })
  mutate(@Body() body: unknown, @Query('timeout') timeout?: string): Promise<object> {
    return this.answer('mutate', body, timeout);
  }

  @Post('admission/validate')
  @HttpCode(200)
  @ApiOperation({ operationId: 'admissionValidate', summary: 'Validating webhook: deny verdicts refuse the object (the message names the plugin)' })
  @ApiQuery({ name: 'timeout', required: false, description: 'Set by the API server (`10s`); caps the time budget' })
  @ApiBody(REVIEW_BODY)
  @ApiOkResponse({ description: 'AdmissionReview with response' })
  @ApiBadRequestResponse({ description: 'InvalidRequest: not an AdmissionReview' })
  validate(@Body() body: unknown, @Query('timeout') timeout?: string): Promise<object> {
    return this.answer('validate', body, timeout);
  }

  @Post('externaldata')
  @HttpCode(200)
  @ApiOperation({ operationId: 'externalData', summary: 'Gatekeeper external-data provider: digest and policy summary per image key' })
  @ApiBody({ schema: { type: 'object', description: 'externaldata.gatekeeper.sh/v1beta1 ProviderRequest', additionalProperties: true } })
  @ApiOkResponse({ description: 'ProviderResponse; items[].value = {digest, pinned, reference, defaultPullPolicy, verdict, messages, stale}' })
  externaldata(@Body() body: unknown): Promise<ProviderResponse> {
    return this.externalData.answer(body, 'summary');
  }

  @Post('externaldata/pinned')
  @HttpCode(200)
  @ApiOperation({ operationId: 'externalDataPinned', summary: 'Gatekeeper external-data provider for mutation: items[].value is the image pinned to its digest (`name@sha256:…`)' })
  @ApiBody({ schema: { type: 'object', description: 'externaldata.gatekeeper.sh/v1beta1 ProviderRequest', additionalProperties: true } })
  externaldataPinned(@Body() body: unknown): Promise<ProviderResponse> {
    return this.externalData.answer(body, 'pinned');
  }

  private async answer(webhook: Webhook, body: unknown, timeout: string | undefined): Promise<object> {
    const review = readAdmissionReview(body);
    const response = await this.admission.review(webhook, review.request, this.admission.budgetMs(timeout));
    return admissionReviewAnswer(review.apiVersion, response);
  }
}
