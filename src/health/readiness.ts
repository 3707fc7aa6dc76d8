import { Injectable } from '@nestjs/common';

export interface ReadinessCheck {
  /** Short name shown in /readyz (`cache`, `plugins`, …). */
  name: string;
  /** `ready: false` fails readiness; `degraded` reports a problem that the service works around. */
  check(): Promise<{ ready: boolean; degraded?: boolean; detail?: string }> | { ready: boolean; degraded?: boolean; detail?: string };
}

/** Modules register what readiness depends on (Redis, plugins, …); /readyz asks each of them. */
@Injectable()
export class ReadinessRegistry {
  private readonly checks: ReadinessCheck[] = [];

  register(check: ReadinessCheck): void {
    this.checks.push(check);
  }

  async evaluate(): Promise<{ ready: boolean; checks: Record<string, { ready: boolean; degraded: boolean; detail?: string }> }> {
    const checks: Record<string, { ready: boolean; degraded: boolean; detail?: string }> = {};
    let ready = true;
    for (const { name, check } of this.checks) {
      try {
        const result = await check();
        checks[name] = { ready: result.ready, degraded: result.degraded ?? false, ...(result.detail ? { detail: result.detail } : {}) };
        ready &&= result.ready;
      } catch (error) {
        checks[name] = { ready: false, degraded: true, detail: error instanceof Error ? error.message : 'check failed' };
        ready = false;
      }
    }
    return { ready, checks };
  }
}
