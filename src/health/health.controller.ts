import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ReadinessRegistry } from './readiness.js';

@ApiTags('operations')
@Controller()
export class HealthController {
  constructor(private readonly readiness: ReadinessRegistry) {}

  /** Liveness: the process answers. Never depends on Redis or registries. */
  @Get('healthz')
  @ApiOperation({ operationId: 'healthz', summary: 'Liveness: the process answers (never depends on Redis or registries)' })
  @ApiOkResponse({ description: 'The process is alive' })
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness: 200 while the service can answer (possibly degraded), 503 otherwise. */
  @Get('readyz')
  @ApiOperation({ operationId: 'readyz', summary: 'Readiness: 200 while the service can answer (possibly degraded), 503 otherwise' })
  @ApiOkResponse({ description: 'Ready (checks may report degraded dependencies)' })
  @ApiServiceUnavailableResponse({ description: 'Not ready: the same body, `status: not-ready`, with the failing checks' })
  async readyz(@Res({ passthrough: true }) reply: FastifyReply): Promise<object> {
    const { ready, checks } = await this.readiness.evaluate();
    const degraded = Object.values(checks).some((check) => check.degraded);
    reply.status(ready ? 200 : 503);
    return { status: ready ? (degraded ? 'degraded' : 'ready') : 'not-ready', checks };
  }
}
