// The webhook's own certificate authority and serving certificate, for clusters without
// cert-manager. Pure: issuing and deciding when to renew take the time as an argument.
import { createPrivateKey, generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import forge from 'node-forge';

/** PEM texts, as kept in the webhook's Secret (a kubernetes.io/tls Secret plus the CA's key). */
export interface CertificateBundle {
  caCert: string;
  caKey: string;
  cert: string;
  key: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** The CA outlives many serving certificates, so that a renewal rarely changes the caBundle. */
export const CA_LIFETIME_MS = 5 * 365 * DAY_MS;
export const SERVING_LIFETIME_MS = 90 * DAY_MS;
/** Renew once less than a third of a certificate's life is left (cert-manager's default rule). */
const RENEW_FRACTION_LEFT = 1 / 3;
/** Tolerates clocks a little behind ours on the API server. */
const BACKDATE_MS = 5 * 60 * 1000;

function keyPair(): { forgeKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; pem: string } {
  // Node's native generator: forge's own RSA generation takes seconds in JavaScript.
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(pem) as forge.pki.rsa.PrivateKey;
  return { forgeKey, publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e), pem };
}

function newCertificate(publicKey: forge.pki.PublicKey, now: Date, lifetimeMs: number, commonName: string): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  // A positive serial in minimal DER: the first byte in 0x01..0x7f (a leading 00 before a byte
  // below 0x80 is not DER, and strict parsers refuse the certificate).
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  cert.serialNumber = serial.toString('hex');
  cert.validity.notBefore = new Date(now.getTime() - BACKDATE_MS);
  cert.validity.notAfter = new Date(now.getTime() + lifetimeMs);
  cert.setSubject([{ name: 'commonName', value: commonName }]);
  return cert;
}

function issueCa(now: Date): { caCert: string; caKey: string } {
  const keys = keyPair();
  const cert = newCertificate(keys.publicKey, now, CA_LIFETIME_MS, 'coderun-webhook-ca');
  cert.setIssuer(cert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.forgeKey, forge.md.sha256.create());
  return { caCert: forge.pki.certificateToPem(cert), caKey: keys.pem };
}

function issueServing(ca: { caCert: string; caKey: string }, dnsNames: string[], now: Date): { cert: string; key: string } {
  const caCert = forge.pki.certificateFromPem(ca.caCert);
  const keys = keyPair();
  const cert = newCertificate(keys.publicKey, now, SERVING_LIFETIME_MS, dnsNames[0] ?? 'coderun-webhook');
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: dnsNames.map((value) => ({ type: 2, value })) },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(ca.caKey), forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: keys.pem };
}

/** A new serving certificate for `dnsNames`, under `ca` when given, else under a new CA. */
export function issueBundle(dnsNames: string[], now: Date, ca?: { caCert: string; caKey: string }): CertificateBundle {
  const authority = ca ?? issueCa(now);
  return { ...authority, ...issueServing(authority, dnsNames, now) };
}

function nearEnd(cert: X509Certificate, now: Date): boolean {
  const from = new Date(cert.validFrom).getTime();
  const to = new Date(cert.validTo).getTime();
  return to - now.getTime() < (to - from) * RENEW_FRACTION_LEFT;
}

/**
 * What a bundle needs at `now`: nothing; a new serving certificate under the same CA (it is
 * near its end, names other hosts, or is not the CA's); or everything anew (no usable CA).
 */
export function renewalNeeded(bundle: Partial<CertificateBundle>, dnsNames: string[], now: Date): 'none' | 'serving' | 'all' {
  let ca: X509Certificate;
  try {
    if (!bundle.caCert || !bundle.caKey) return 'all';
    ca = new X509Certificate(bundle.caCert);
    if (!ca.ca || nearEnd(ca, now)) return 'all';
  } catch {
    return 'all';
  }
  try {
    if (!bundle.cert || !bundle.key) return 'serving';
    const serving = new X509Certificate(bundle.cert);
    if (!serving.verify(ca.publicKey) || nearEnd(serving, now)) return 'serving';
    if (!dnsNames.every((name) => serving.checkHost(name, { subject: 'never' }) === name)) return 'serving';
    if (!serving.checkPrivateKey(createPrivateKey(bundle.key))) return 'serving';
  } catch {
    return 'serving';
  }
  return 'none';
}

/**
 * The caBundle the API server should trust: the current CA, plus the previous one while it is
 * still valid, so that replicas still serving a certificate of the old CA are trusted during a
 * rotation.
 */
export function caBundleOf(caCert: string, previousCaBundle: string | undefined, now: Date): string {
  const kept = splitPem(previousCaBundle ?? '').filter((pem) => {
    try {
      const cert = new X509Certificate(pem);
      return new Date(cert.validTo).getTime() > now.getTime() && cert.fingerprint256 !== new X509Certificate(caCert).fingerprint256;
    } catch {
      return false;
    }
  });
  return [caCert.trim(), ...kept.slice(0, 1)].map((pem) => `${pem}\n`).join('');
}

function splitPem(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
}
