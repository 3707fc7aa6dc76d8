import 'reflect-metadata';
import { createLogger, exitOnCrash, scrubSecrets, serializeError } from './common/logger.js';
import { ConfigError, loadConfig } from './config/config.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    // No logger yet (its level is configuration): one line on stderr, as safe as the logger's.
    const line = error instanceof ConfigError
      ? { level: 'fatal', msg: scrubSecrets(error.message) }
      : { level: 'fatal', msg: 'start failed: the configuration could not be read', err: serializeError(error) };
    process.stderr.write(`${JSON.stringify(line)}\n`);
    process.exit(1);
  }
  const logger = createLogger(config);
  exitOnCrash(logger); // an uncaught exception or unhandled rejection: logged safely, lines flushed, exit 1
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
