/**
 * A second yardstick for the HTTP benchmarks: the smallest NestJS 12 application on the Fastify adapter
 * answering the same JSON as the service (one controller, no validation, logging, metrics or GraphQL).
 * It shows how much of the gap to bare Fastify is the framework's own per-request cost.
 */
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { parseReference } from '../src/reference/parse.js';

const sample = parseReference(process.env.BENCH_REFERENCE ?? 'ghcr.io/org/app:1.2.3');
const answer = sample.ok ? sample.reference : {};

@Controller()
class MinimalController {
  @Get('healthz')
  health(): object {
    return { status: 'ok' };
  }

  @Get('v1/references/parse')
  parse(): object {
    return answer;
  }
}

@Module({ controllers: [MinimalController] })
class MinimalModule {}

const app = await NestFactory.create<NestFastifyApplication>(MinimalModule, new FastifyAdapter(), { logger: false });
await app.listen({ port: Number(process.env.PORT ?? 3002), host: '127.0.0.1' });
