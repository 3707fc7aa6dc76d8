import { Module } from '@nestjs/common';
import { ReferenceController } from './reference.controller.js';
import { ReferenceResolver } from './reference.resolver.js';
import { ReferenceService } from './reference.service.js';

@Module({ controllers: [ReferenceController], providers: [ReferenceService, ReferenceResolver], exports: [ReferenceService] })
export class ReferenceModule {}
