import { X509Certificate } from 'node:crypto';
import { CA_LIFETIME_MS, SERVING_LIFETIME_MS, caBundleOf, issueBundle, renewalNeeded } from './certificates.js';

const NAMES = ['coderun-webhook.coderun-system.svc', 'coderun-webhook.coderun-system.svc.cluster.local'];
const NOW = new Date('2026-12-06T10:00:00Z');
const later = (ms: number) => new Date(NOW.getTime() + ms);
const bundle = issueBundle(NAMES, NOW);

describe('issueBundle', () => {
  test('a CA and a serving certificate for the Service names, signed by it', () => {
    const ca = new X509Certificate(bundle.caCert);
    const serving = new X509Certificate(bundle.cert);
    expect(ca.ca).toBe(true);
    expect(serving.ca).toBe(false);
    expect(serving.verify(ca.publicKey)).toBe(true);
    for (const name of NAMES) expect(serving.checkHost(name)).toBe(name);
    expect(serving.checkHost('other.example')).toBeUndefined();
    expect(serving.keyUsage).toContain('1.3.6.1.5.5.7.3.1'); // serverAuth
  });

  test('serials are positive integers in minimal DER (strict parsers refuse a needless leading zero)', () => {
    for (let i = 0; i < 12; i++) {
      const issued = issueBundle(NAMES, NOW);
      for (const pem of [issued.caCert, issued.cert]) expect(new X509Certificate(pem).serialNumber).toMatch(/^(?!00)[0-7][0-9A-F]{31}$/);
    }
  });

  test('renewing the serving certificate keeps the CA', () => {
    const renewed = issueBundle(NAMES, later(80 * 86_400_000), bundle);
    expect(renewed.caCert).toBe(bundle.caCert);
    expect(renewed.cert).not.toBe(bundle.cert);
    expect(new X509Certificate(renewed.cert).verify(new X509Certificate(bundle.caCert).publicKey)).toBe(true);
  });
});

describe('renewalNeeded', () => {
  test.each<[string, Parameters<typeof renewalNeeded>[0], string[], Date, string]>([
    ['a fresh bundle', bundle, NAMES, NOW, 'none'],
    ['nothing yet', {}, NAMES, NOW, 'all'],
    ['a CA without its key', { ...bundle, caKey: undefined }, NAMES, NOW, 'all'],
    ['garbage in place of the CA', { ...bundle, caCert: 'not a certificate' }, NAMES, NOW, 'all'],
    ['no serving certificate', { ...bundle, cert: undefined }, NAMES, NOW, 'serving'],
    ['a serving certificate for other names', bundle, ['other.coderun-system.svc'], NOW, 'serving'],
    ['a serving certificate in its last third', bundle, NAMES, later(SERVING_LIFETIME_MS * 0.7), 'serving'],
    ['a serving certificate just before its last third', bundle, NAMES, later(SERVING_LIFETIME_MS * 0.6), 'none'],
    ['a CA in its last third', bundle, NAMES, later(CA_LIFETIME_MS * 0.7), 'all'],
    ['a serving key that is not the certificate key', { ...bundle, key: issueBundle(NAMES, NOW).key }, NAMES, NOW, 'serving'],
    ['a serving certificate of another CA', { ...bundle, cert: issueBundle(NAMES, NOW).cert }, NAMES, NOW, 'serving'],
  ])('%s: %s', (_name, current, names, at, expected) => {
    expect(renewalNeeded(current, names, at)).toBe(expected);
  });
});

describe('caBundleOf', () => {
  const fingerprints = (pem: string) => (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []).map((c) => new X509Certificate(c).fingerprint256);
  const next = issueBundle(NAMES, later(CA_LIFETIME_MS * 0.7));

  test('the CA alone at first', () => {
    expect(fingerprints(caBundleOf(bundle.caCert, undefined, NOW))).toEqual([new X509Certificate(bundle.caCert).fingerprint256]);
  });
  test('a new CA keeps the previous one trusted while it is valid', () => {
    const both = caBundleOf(next.caCert, bundle.caCert, later(CA_LIFETIME_MS * 0.7));
    expect(fingerprints(both)).toEqual([next.caCert, bundle.caCert].map((c) => new X509Certificate(c).fingerprint256));
    // Once the old CA expired, only the new one.
    expect(fingerprints(caBundleOf(next.caCert, both, later(CA_LIFETIME_MS + 1)))).toEqual([new X509Certificate(next.caCert).fingerprint256]);
  });
  test('the same CA is not listed twice', () => {
    expect(fingerprints(caBundleOf(bundle.caCert, caBundleOf(bundle.caCert, undefined, NOW), NOW))).toHaveLength(1);
  });
});
