import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A certificate and its private key (PEM files). */
export interface CertFiles {
  cert: string;
  key: string;
}

/** A throwaway PKI made at test time (no private key is checked in). */
export interface TestPki {
  /** The CA that signed `server` and `client`. */
  ca: string;
  /** For 127.0.0.1 and localhost. */
  server: CertFiles;
  /** A client certificate (mutual TLS). */
  client: CertFiles;
  /** Another CA, which signed nothing here: verifying the server with it must fail. */
  otherCa: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function makeCa(dir: string, name: string): CertFiles {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}-key.pem`);
  openssl(['req', '-x509', ...EC, '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${name}`], dir);
  return { cert, key };
}

function issue(dir: string, ca: CertFiles, name: string, ext: string): CertFiles {
  const key = join(dir, `${name}-key.pem`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.pem`);
  const extFile = join(dir, `${name}.ext`);
  writeFileSync(extFile, ext);
  openssl(['req', ...EC, '-keyout', key, '-out', csr, '-subj', `/CN=${name}`], dir);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      ca.cert,
      '-CAkey',
      ca.key,
      '-CAcreateserial',
      '-out',
      cert,
      '-days',
      '2',
      '-extfile',
      extFile,
    ],
    dir,
  );
  return { cert, key };
}

/** Makes a CA, a server certificate for 127.0.0.1/localhost, a client certificate and an unrelated CA, with openssl. */
export function makeTestPki(dir: string): TestPki {
  const ca = makeCa(dir, 'ca');
  const other = makeCa(dir, 'other-ca');
  return {
    ca: ca.cert,
    otherCa: other.cert,
    server: issue(
      dir,
      ca,
      'server',
      'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n',
    ),
    client: issue(dir, ca, 'client', 'extendedKeyUsage=clientAuth\n'),
  };
}
