import { describe, expect, it } from 'vitest';
import { parseEnv } from '../runtime/env.js';
import { configError } from '../testing/index.js';
import { parseConfig } from './config.js';
import { parseListenAddress } from './metrics-settings.js';

describe('metrics: { listen, token }', () => {
  it('is optional, and parses listen into host and port', () => {
    expect(parseConfig('vantages: [a]').metrics).toEqual({});
    const config = parseConfig(`vantages: [a]\nmetrics: { listen: "[::1]:9464", token: "\${T}" }`, {
      env: { T: 'a-long-enough-token-123' },
    });
    expect(config.metrics).toEqual({ listen: { host: '::1', port: 9464 }, token: 'a-long-enough-token-123' });
    expect(parseListenAddress('0.0.0.0:0')).toEqual({ host: '0.0.0.0', port: 0 });
    expect(parseListenAddress('metrics.internal:9464')).toEqual({ host: 'metrics.internal', port: 9464 });
  });

  it.each(['9464', ':9464', 'host', 'host:99999', '[zz]:1', 'a b:1', 'http://x:1', '::1:9464'])(
    'refuses listen %j with the field path',
    (listen) => {
      const err = configError(`vantages: [a]\nmetrics: { listen: ${JSON.stringify(listen)} }`);
      expect(err.message).toContain('metrics.listen: expected host:port, such as 127.0.0.1:9464');
    },
  );

  it('never shows the token, whether written in the file or read from the environment', () => {
    const literal = configError('vantages: [a]\nmetrics: { token: "short-s3cret" }');
    expect(literal.message).toContain('metrics.token: expected a string of at least 16 characters');
    expect(literal.message).not.toContain('short-s3cret');
    expect(JSON.stringify(literal.issues)).not.toContain('short-s3cret');

    const fromEnv = configError(`vantages: [a]\nmetrics: { token: "\${VIGIL_METRICS_TOKEN}" }`, {
      VIGIL_METRICS_TOKEN: 'hunter2-short',
    });
    expect(fromEnv.message).toContain('metrics.token');
    expect(fromEnv.message).toContain(`\${VIGIL_METRICS_TOKEN}`);
    expect(`${fromEnv.message}${JSON.stringify(fromEnv.issues)}`).not.toContain('hunter2-short');

    const typed = configError('vantages: [a]\nmetrics: { token: 12345678901234567890 }');
    expect(`${typed.message}${JSON.stringify(typed.issues)}`).not.toContain('12345678901234567890');
  });

  it('is one strict object: an unknown field is named, not echoed with its value', () => {
    const err = configError('vantages: [a]\nmetrics: { tokn: "s3cret-value-0123456789" }');
    expect(err.message).toContain('metrics: unknown field tokn');
    expect(err.message).not.toContain('s3cret-value');
  });

  it('may come from VIGIL_METRICS_TOKEN instead, whose value an error never shows either', () => {
    expect(parseEnv({ VIGIL_METRICS_TOKEN: 'from-the-environment-0123' }).VIGIL_METRICS_TOKEN).toBe(
      'from-the-environment-0123',
    );
    let message = '';
    try {
      parseEnv({ VIGIL_METRICS_TOKEN: 'hunter2-short' });
    } catch (err) {
      message = `${(err as Error).message}${JSON.stringify((err as { issues?: unknown }).issues)}`;
    }
    expect(message).toContain('VIGIL_METRICS_TOKEN: expected a token of at least 16 characters');
    expect(message).not.toContain('hunter2-short');
  });
});
