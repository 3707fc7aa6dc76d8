import { Module } from '@nestjs/common';
import { RegistryModule } from '../registry/registry.module.js';
import { AdmissionController } from './admission.controller.js';
import { AdmissionService } from './admission.service.js';
import { ExternalDataService } from './external-data.service.js';

/**
 * Kubernetes admission (`POST /v1/admission/mutate`, `/v1/admission/validate`) and the Gatekeeper
 * external-data provider (`POST /v1/externaldata`, `/v1/externaldata/pinned`); scope `admission`.
 * PluginHost comes from the global PluginHostModule (without it only defaulting is done).
 */
@Module({ imports: [RegistryModule], controllers: [AdmissionController], providers: [AdmissionService, ExternalDataService] })
export class AdmissionModule {}
