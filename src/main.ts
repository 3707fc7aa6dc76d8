import 'reflect-metadata';
import { createLogger } from './common/logger.js';
import { ConfigError, loadConfig } from './config/config.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${JSON.stringify({ level: 'fatal', msg: error.message })}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config);
  // Loaded after the configuration is known good, so a bad value stops the start at once.
  const { createApp } = await import('./app.factory.js');
  try {
    const app = await createApp(config, logger);
    await app.listen({ port: config.port, host: config.host });
    logger.info({ url: await app.getUrl() }, 'image policy service listening');
    // Graceful shutdown (enableShutdownHooks): new requests get 503, in-flight ones finish, then Redis and the
    // plugins close. Requests that never finish cannot hold the process beyond SHUTDOWN_TIMEOUT_MS.
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        logger.info({ signal, timeoutMs: config.shutdownTimeoutMs }, 'shutting down: finishing in-flight requests');
        setTimeout(() => {
          logger.error({ timeoutMs: config.shutdownTimeoutMs }, 'in-flight requests did not finish within SHUTDOWN_TIMEOUT_MS; exiting');
          process.exit(1);
        }, config.shutdownTimeoutMs).unref();
      });
    }
  } catch (error) {
    logger.fatal({ err: error }, `start failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}

void main();
