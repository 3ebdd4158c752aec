/**
 * `npm run codec-server`: decodes (and encodes) payloads for the Temporal Web UI and CLI with the
 * keys in LPMM_PAYLOAD_KEYS. Settings: LPMM_CODEC_HOST (127.0.0.1), LPMM_CODEC_PORT (8081),
 * LPMM_CODEC_TOKEN, LPMM_CODEC_CORS_ORIGINS, LPMM_CODEC_MAX_BODY_BYTES; see the README.
 */
import pino from 'pino';
import { AesGcmPayloadCodec } from './encryption-codec';
import { CodecServerConfigError, loadCodecServerConfig } from './server-config';
import { startCodecServer } from './server';

const logger = pino({ base: { service: 'lp-market-maker-codec-server' } });

async function main() {
  const config = loadCodecServerConfig();
  const running = await startCodecServer({
    codec: new AesGcmPayloadCodec(config.keys),
    token: config.token,
    allowedOrigins: config.allowedOrigins,
    maxBodyBytes: config.maxBodyBytes,
    host: config.host,
    port: config.port,
    log: (message, meta) => logger.info(meta, message),
  });
  logger.info(
    {
      url: running.url,
      currentKeyId: config.keys.currentKeyId,
      keyIds: config.keys.keyIds,
      tokenRequired: config.token !== undefined,
      allowedOrigins: config.allowedOrigins,
    },
    'codec server listening',
  );
  const stop = () => {
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err) => {
  if (err instanceof CodecServerConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  logger.fatal({ err }, 'codec server failed');
  process.exit(1);
});
