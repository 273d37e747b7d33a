import { runPython } from './python.ts';

/**
 * Verifies every DKIM-Signature of a message with an independent implementation:
 * dkimpy (Debian python3-dkim, with python3-nacl for Ed25519), with DNS replaced by
 * the given TXT records. Message and records go over stdin, never the command line.
 *
 * @param txt record name (`selector._domainkey.domain`) → TXT value
 * @returns one result per signature, topmost first; `error` says why one failed
 */
export async function verifyDkim(
  message: Buffer,
  txt: Record<string, string>,
): Promise<{ domain: string; selector: string; ok: boolean; error?: string }[]> {
  const input = JSON.stringify({ message: message.toString('base64'), txt });
  const stdout = await runPython(VERIFY_SCRIPT, input, 'python3 dkim verifier');
  return JSON.parse(stdout) as { domain: string; selector: string; ok: boolean; error?: string }[];
}

const VERIFY_SCRIPT = `
import base64, json, sys
import dkim

data = json.load(sys.stdin)
msg = base64.b64decode(data['message'])
records = {k.lower().rstrip('.'): v for k, v in data['txt'].items()}

def dnsfunc(name, timeout=5):
    value = records.get(name.decode('ascii').lower().rstrip('.'))
    return value.encode('ascii') if value is not None else None

headers, _ = dkim.rfc822_parse(msg)
count = len([1 for name, _ in headers if name.lower() == b'dkim-signature'])
results = []
for i in range(count):
    d = dkim.DKIM(msg, minkey=1024)
    result = {'domain': '', 'selector': '', 'ok': False}
    try:
        result['ok'] = bool(d.verify(idx=i, dnsfunc=dnsfunc))
    except Exception as e:
        result['error'] = '%s: %s' % (type(e).__name__, e)
    result['domain'] = (getattr(d, 'domain', None) or b'').decode('ascii')
    result['selector'] = (getattr(d, 'selector', None) or b'').decode('ascii')
    results.append(result)
json.dump(results, sys.stdout)
`;
