import { describe, expect, it } from 'vitest';
import { configError } from '../testing/index.js';
import { parseConfig } from './config.js';

// biome-ignore lint/suspicious/noTemplateCurlyInString: vigil.yaml's ${ENV} interpolation, read by the config parser
const OIDC = 'issuer: "https://idp.example.com", clientId: vigil, clientSecret: "${S}"';

describe('console: { oidc }', () => {
  it('is optional, and fills the scopes and the groups claim', () => {
    expect(parseConfig('vantages: [a]').console).toEqual({});
    const config = parseConfig(
      `vantages: [a]\nconsole: { oidc: { ${OIDC}, roles: [{ group: ops, scopes: [admin] }, { group: team-a, scopes: [read], owners: [team-a] }] } }`,
      { env: { S: 'the-client-s3cret' } },
    );
    expect(config.console.oidc).toEqual({
      issuer: 'https://idp.example.com',
      clientId: 'vigil',
      clientSecret: 'the-client-s3cret',
      scopes: ['openid', 'profile', 'email', 'groups'],
      groupsClaim: 'groups',
      roles: [
        { group: 'ops', scopes: ['admin'] },
        { group: 'team-a', scopes: ['read'], owners: ['team-a'] },
      ],
    });
  });

  it('names the field of a bad value', () => {
    const cases: [string, string][] = [
      [`{ ${OIDC}, roles: [] }`, 'console.oidc.roles: expected at least one { group, scopes } role'],
      [`{ ${OIDC}, roles: [{ group: ops, scopes: [root] }] }`, 'console.oidc.roles[0].scopes[0]'],
      [`{ ${OIDC}, roles: [{ group: ops, scopes: [read], owners: [Team A] }] }`, 'console.oidc.roles[0].owners[0]'],
      [`{ ${OIDC}, redirectUrl: "ftp://x", roles: [{ group: ops, scopes: [read] }] }`, 'console.oidc.redirectUrl'],
      [`{ issuer: nope, clientId: vigil, roles: [{ group: ops, scopes: [read] }] }`, 'console.oidc.issuer'],
    ];
    for (const [oidc, expected] of cases) {
      expect(configError(`vantages: [a]\nconsole: { oidc: ${oidc} }`, { S: 'x' }).message).toContain(expected);
    }
  });

  it('never shows the client secret', () => {
    const typed = configError(
      'vantages: [a]\nconsole: { oidc: { issuer: "https://idp.example.com", clientId: v, clientSecret: 98765432109876, roles: [{ group: g, scopes: [read] }] } }',
    );
    expect(typed.message).toContain('console.oidc.clientSecret');
    expect(`${typed.message}${JSON.stringify(typed.issues)}`).not.toContain('98765432109876');
  });
});
