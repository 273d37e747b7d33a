import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

/** A fresh self-signed certificate made by openssl (RSA 2048, one day) in `dir`; returns the PEM file paths. */
export async function selfSignedCert(dir: string, commonName: string): Promise<{ key: string; cert: string }> {
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '1',
    '-subj',
    `/CN=${commonName}`,
  ]);
  return { key, cert };
}
