// The one certificate authority module: every certificate in berth (API server, kubelets, the
// built-in registry, admin client credentials) is issued here.
//
// Layout under a tls dir:
//   ca.crt, ca.key          the CA (key mode 0600)
//   <name>.crt, <name>.key  leaf certificates issued by ensureLeaf()
import { createHash, webcrypto, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { isIP } from 'node:net';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto as any);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 3600 * 1000;

export interface KeyPairPem {
  certPem: string;
  keyPem: string;
}

export interface LeafRequest {
  commonName: string;
  /** Organization (O=); Kubernetes reads it as the client's groups. */
  organization?: string[];
  /** DNS names and IP addresses the certificate covers (servers). */
  hosts?: string[];
  /** 'server' (serverAuth), 'client' (clientAuth) or both. */
  usage: 'server' | 'client' | 'both';
  validDays?: number;
}

/** A loaded CA that can issue leaf certificates. */
export interface CertificateAuthority {
  readonly certPem: string;
  /** sha256 hex of the CA certificate PEM bytes: what a node join token pins (k3s's design). */
  readonly certHash: string;
  issue(req: LeafRequest): Promise<KeyPairPem>;
}

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

function serial(): string {
  // Positive 128-bit serial number.
  const b = webcrypto.getRandomValues(new Uint8Array(16));
  b[0] &= 0x7f;
  return Buffer.from(b).toString('hex');
}

function writeAtomic(path: string, data: string, mode: number): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data, { mode });
  renameSync(tmp, path);
}

async function importKey(keyPem: string): Promise<CryptoKey> {
  const der = Buffer.from(keyPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  return webcrypto.subtle.importKey('pkcs8', der, ALG, true, ['sign']) as Promise<CryptoKey>;
}

export function hashCaPem(certPem: string): string {
  return createHash('sha256').update(certPem).digest('hex');
}

/** Loads the CA from `dir`, creating it (ca.crt, ca.key) on first use. */
export async function loadOrCreateCA(dir: string, commonName = 'berth-ca'): Promise<CertificateAuthority> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const certPath = join(dir, 'ca.crt');
  const keyPath = join(dir, 'ca.key');
  let certPem: string;
  let keyPem: string;
  if (existsSync(certPath) && existsSync(keyPath)) {
    certPem = readFileSync(certPath, 'utf8');
    keyPem = readFileSync(keyPath, 'utf8');
  } else {
    const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
    const now = Date.now();
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name: `CN=${commonName}@${Math.floor(now / 1000)}`,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 3650 * DAY_MS),
      signingAlgorithm: ALG,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    certPem = cert.toString('pem') + '\n';
    keyPem = pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
    writeAtomic(keyPath, keyPem, 0o600);
    writeAtomic(certPath, certPem, 0o644);
  }
  const caCert = new x509.X509Certificate(certPem);
  const caKey = await importKey(keyPem);
  return {
    certPem,
    certHash: hashCaPem(certPem),
    async issue(req: LeafRequest): Promise<KeyPairPem> {
      const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
      const now = Date.now();
      const eku: string[] = [];
      if (req.usage !== 'client') eku.push(x509.ExtendedKeyUsage.serverAuth);
      if (req.usage !== 'server') eku.push(x509.ExtendedKeyUsage.clientAuth);
      const extensions: x509.Extension[] = [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension(eku, false),
        await x509.AuthorityKeyIdentifierExtension.create(caCert, false),
      ];
      const hosts = req.hosts ?? [];
      if (hosts.length) {
        extensions.push(new x509.SubjectAlternativeNameExtension(
          hosts.map((h) => (isIP(h) ? { type: 'ip' as const, value: h } : { type: 'dns' as const, value: h })),
        ));
      }
      const o = (req.organization ?? []).map((v) => `, O=${v}`).join('');
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: serial(),
        subject: `CN=${req.commonName}${o}`,
        issuer: caCert.subject,
        notBefore: new Date(now - 60_000),
        notAfter: new Date(now + (req.validDays ?? 365) * DAY_MS),
        signingAlgorithm: ALG,
        publicKey: keys.publicKey,
        signingKey: caKey,
        extensions,
      });
      return {
        certPem: cert.toString('pem') + '\n',
        keyPem: pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)),
      };
    },
  };
}

/** True when the PEM certificate is signed by `caPem`, unexpired for a day more, and covers every host. */
export function leafIsUsable(certPem: string, caPem: string, hosts: string[]): boolean {
  try {
    const cert = new X509Certificate(certPem);
    const ca = new X509Certificate(caPem);
    if (!cert.verify(ca.publicKey)) return false;
    if (Date.parse(cert.validTo) - Date.now() < DAY_MS) return false;
    return hosts.every((h) => (isIP(h) ? cert.checkIP(h) !== undefined : cert.checkHost(h) !== undefined));
  } catch {
    return false;
  }
}

/**
 * Returns `<dir>/<name>.crt|.key`, issuing them anew when missing, not from this CA, expiring,
 * or not covering every requested host.
 */
export async function ensureLeaf(ca: CertificateAuthority, dir: string, name: string, req: LeafRequest): Promise<KeyPairPem & { certPath: string; keyPath: string }> {
  const certPath = join(dir, `${name}.crt`);
  const keyPath = join(dir, `${name}.key`);
  if (existsSync(certPath) && existsSync(keyPath)) {
    const certPem = readFileSync(certPath, 'utf8');
    if (leafIsUsable(certPem, ca.certPem, req.hosts ?? [])) {
      return { certPem, keyPem: readFileSync(keyPath, 'utf8'), certPath, keyPath };
    }
  }
  const kp = await ca.issue(req);
  writeAtomic(keyPath, kp.keyPem, 0o600);
  writeAtomic(certPath, kp.certPem, 0o644);
  return { ...kp, certPath, keyPath };
}
